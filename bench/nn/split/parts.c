// Times each half of a two-thread product split as mlp splits it (rows of C, OpenBLAS on
// one thread per half, a spinning second thread) or OpenBLAS's own two threads ("ob"),
// product by product (docs/architecture.md, "Why the n = 1024 two-thread products vary").
//   gcc -O2 -o parts parts.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas -lpthread
//   VERB=1 ./parts 1024 split 2 30 64     # n, mode (split | ob), parts, products, 64 | 32
// VERB=1 prints each product's GFLOP/s and each part's thread, start and end (ms).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sched.h>
#include <sys/mman.h>
#include <cblas.h>
extern void openblas_set_num_threads(int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static int N, P; static double *A,*B,*C; static float *fA,*fB,*fC; static int prec;
static atomic_int gen, nextp, done_; static double t0g;
static double pst[64], pen[64]; static int pth[64];
static void part(int p,int th){ int r0=N*p/P, r1=N*(p+1)/P; pst[p]=now()-t0g;
  if(prec==64) cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,r1-r0,N,N,1,A+(size_t)r0*N,N,B,N,0,C+(size_t)r0*N,N);
  else cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,r1-r0,N,N,1,fA+(size_t)r0*N,N,fB,N,0,fC+(size_t)r0*N,N);
  pen[p]=now()-t0g; pth[p]=th; }
static void take(int th){ for(;;){int p=atomic_fetch_add(&nextp,1); if(p>=P) return; part(p,th); atomic_fetch_add(&done_,1);} }
static void* worker(void*x){ int seen=0; for(;;){ int g; while((g=atomic_load(&gen))==seen); seen=g; if(g<0) return 0; take(1);} }
static void* al(size_t b){void*p=0; if(posix_memalign(&p,1<<21,b)){perror("posix_memalign"); exit(1);} madvise(p,b,MADV_HUGEPAGE); memset(p,0,b); return p;}
int main(int argc,char**argv){ N=atoi(argv[1]); const char*mode=argv[2]; P=atoi(argv[3]); int it=atoi(argv[4]); prec=atoi(argv[5]);
  size_t nn=(size_t)N*N; A=al(nn*8);B=al(nn*8);C=al(nn*8);fA=al(nn*4);fB=al(nn*4);fC=al(nn*4);
  srand(1); for(size_t i=0;i<nn;i++){A[i]=rand()/(double)RAND_MAX-.5;B[i]=rand()/(double)RAND_MAX-.5;fA[i]=A[i];fB[i]=B[i];}
  pthread_t t; int ob = !strcmp(mode,"ob");
  if(ob) openblas_set_num_threads(2); else { openblas_set_num_threads(1); pthread_create(&t,0,worker,0);} 
  double fl=2.0*N*N*(double)N; double best=1e9, sum=0; double *g=malloc(it*sizeof(double));
  for(int i=-2;i<it;i++){ t0g=now();
    if(ob){ if(prec==64) cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,A,N,B,N,0,C,N); else cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,fA,N,fB,N,0,fC,N);}
    else { atomic_store(&nextp,0); atomic_store(&done_,0); atomic_fetch_add(&gen,1); take(0); while(atomic_load(&done_)<P); }
    double dt=now()-t0g; if(i<0) continue; g[i]=fl/dt/1e9; sum+=g[i]; if(dt<best)best=dt;
    if(getenv("VERB")&&!ob){ printf("it %d %.1f GF:",i,g[i]); for(int p=0;p<P;p++) printf(" p%d[t%d %.2f-%.2f]",p,pth[p],pst[p]*1e3,pen[p]*1e3); printf("\n"); }
  }
  // sort
  for(int i=0;i<it;i++)for(int j=i+1;j<it;j++)if(g[j]<g[i]){double x=g[i];g[i]=g[j];g[j]=x;}
  printf("%s P=%d n=%d f%d: best %.1f median %.1f min %.1f mean %.1f GFLOP/s\n",mode,P,N,prec,fl/best/1e9,g[it/2],g[0],sum/it);
  return 0; }
