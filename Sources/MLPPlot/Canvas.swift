// Plots: terminal canvases, line/scatter/histogram/heat-map renderers, PNG and SVG writers.
