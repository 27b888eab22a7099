// libedit's GNU-readline emulation. Always the editline header: this machine
// also has GNU readline, whose history file format differs.
#include <stdio.h>
#include <editline/readline.h>
