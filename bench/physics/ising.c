/* P3 plain C reference (bench/physics/run.sh): 2D Ising, L x L periodic, J = 1, h = 0.
 * metropolis: typewriter single-spin-flip sweeps, signed-char spins, neighbour indices
 * precomputed per row and column (no modulo in the loop), acceptance thresholds
 * exp(-dE/T) precomputed as 64-bit integers, xoshiro256** random numbers.
 * wolff: cluster updates with an explicit stack, the same generator.
 * usage: ising metropolis|wolff L T sweeps [seed]
 * prints (per CPU second of this thread): attempts (or clusters) per second, spins flipped per second, <e> per site.
 * Build: gcc -O2 -o ising ising.c -lm */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t s[4];
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t next(void) {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: ising metropolis|wolff L T sweeps [seed]\n"); return 64; }
    int wolff = strcmp(argv[1], "wolff") == 0, L = atoi(argv[2]), sweeps = atoi(argv[4]);
    double T = atof(argv[3]);
    uint64_t seed = argc > 5 ? strtoull(argv[5], 0, 10) : 1;
    for (int i = 0; i < 4; i++) s[i] = splitmix(&seed);
    int N = L * L;
    signed char *spin = malloc(N);
    int *up = malloc(L * sizeof(int)), *dn = malloc(L * sizeof(int)), *stack = malloc(N * sizeof(int));
    for (int i = 0; i < L; i++) { up[i] = (i + L - 1) % L; dn[i] = (i + 1) % L; }
    for (int i = 0; i < N; i++) spin[i] = (next() >> 63) ? 1 : -1;
    /* threshold[x + 4] for x = s * (sum of neighbours): accept if next() < threshold */
    uint64_t thr[9];
    for (int x = -4; x <= 4; x++) {
        double p = x <= 0 ? 1 : exp(-2.0 * x / T);
        thr[x + 4] = p >= 1 ? UINT64_MAX : (uint64_t)(p * 18446744073709551616.0);
    }
    double padd = 1 - exp(-2.0 / T);
    uint64_t addThr = (uint64_t)(padd * 18446744073709551616.0);
    long long flipped = 0, clusters = 0, measured = 0;
    double esum = 0;
    double t0 = now();
    for (int sw = 0; sw < sweeps; sw++) {
        if (!wolff) {
            for (int i = 0; i < L; i++) {
                signed char *row = spin + i * L, *ru = spin + up[i] * L, *rd = spin + dn[i] * L;
                for (int j = 0; j < L; j++) {
                    int sum = ru[j] + rd[j] + row[up[j]] + row[dn[j]];
                    int x = row[j] * sum;
                    if (next() < thr[x + 4]) { row[j] = -row[j]; flipped++; }
                }
            }
        } else {
            /* one cluster per step; sweeps counts clusters here */
            int site = (int)((next() >> 32) * (uint64_t)N >> 32), top = 0;
            signed char s0 = spin[site];
            spin[site] = -s0; stack[top++] = site; flipped++;
            while (top) {
                int k = stack[--top], i = k / L, j = k % L;
                int nb[4] = { up[i] * L + j, dn[i] * L + j, i * L + up[j], i * L + dn[j] };
                for (int q = 0; q < 4; q++) {
                    int n = nb[q];
                    if (spin[n] == s0 && next() < addThr) { spin[n] = -s0; stack[top++] = n; flipped++; }
                }
            }
            clusters++;
        }
        /* the measurement every sweep (as mlp records): energy per site; for Wolff
           once per L^2 spins flipped (mlp's Wolff sweep) */
        if (wolff && flipped < (long long)N * (measured + 1)) continue;
        measured++;
        long b = 0;
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++) b += spin[i * L + j] * (spin[i * L + dn[j]] + spin[dn[i] * L + j]);
        esum += -(double)b / N;
    }
    double dt = now() - t0;
    if (!wolff)
        printf("c metropolis L=%d T=%g: %.1f million attempts/s, <e> %.5f\n", L, T, (double)N * sweeps / dt / 1e6, esum / measured);
    else
        printf("c wolff L=%d T=%g: %.0f clusters/s, %.1f million spins flipped/s, mean cluster %.1f, <e> %.5f\n", L, T,
               clusters / dt, flipped / dt / 1e6, (double)flipped / clusters, esum / measured);
    return 0;
}
