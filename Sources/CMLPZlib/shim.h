// zlib (Debian zlib1g-dev): deflate/inflate for PNG, npz and gzipped IDX files.
// Named CMLPZlib: ZIPFoundation and others define a module called CZlib.
#include <zlib.h>
