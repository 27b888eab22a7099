// Cairo and Pango (Debian libcairo2-dev, libpango1.0-dev): antialiased PNG, SVG
// and PDF figures with any Unicode text (Sources/MLPPlot).
#include <cairo.h>
#include <cairo-svg.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
