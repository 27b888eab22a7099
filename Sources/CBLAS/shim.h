// OpenBLAS's CBLAS interface (Debian libopenblas-dev). LAPACK routines are in the
// same library; declare the Fortran ones used here (column-major, by pointer).
#include <cblas.h>
