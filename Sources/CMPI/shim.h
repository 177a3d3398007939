// Open MPI's C API (Debian libopenmpi-dev, found by pkg-config ompi-c). Swift cannot import its handles
// (MPI_COMM_WORLD, MPI_FLOAT, … are macros over addresses); CMPIShim wraps what we use in functions.
#include <mpi.h>
