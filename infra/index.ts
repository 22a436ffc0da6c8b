// Entry point for `pulumi up` run by a person in the repository (Pulumi.yaml: `main: infra/`). The exported
// function is the program; Pulumi runs it and uses its result as the stack outputs.
import { runSandboxProgram } from './program.ts';

export default runSandboxProgram;
