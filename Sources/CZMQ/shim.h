// ZeroMQ (Debian libzmq3-dev): the five sockets of a Jupyter kernel (Sources/MLPKernel).
#include <zmq.h>
