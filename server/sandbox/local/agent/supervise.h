/* The TTL supervisor mode of the agent binary (`agent --supervise ...`): see supervise.c. */
#ifndef REHEARSAL_SUPERVISE_H
#define REHEARSAL_SUPERVISE_H

/* Runs the supervisor; returns only on a usage error or when the sandbox is gone (the exit code). */
int supervise_main(int argc, char **argv);

#endif
