// FFTW 3 (Debian libfftw3-dev, GPL-2+): fft, ifft and rfft (Sources/MLPTensor/FFT.swift).
#include <fftw3.h>
