// Splits of an n x n x n product interleaved product by product in one process, so that
// every schedule meets the same state of the host: "s2" two halves (mlp's split), "dP" P
// equal parts handed out as threads free up, "g:40,40,5,5,5,5" parts of these percents,
// "1t:P" P row blocks one after the other on one thread (the cost of repacking B per
// block), "fb" two parts sized by each thread's measured speed (tried, not kept).
//   gcc -O2 -o schedules schedules.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas -lpthread
//   ./schedules 1024 20 64 s2 d4 d8 g:40,40,5,5,5,5 1t:1 1t:8 fb
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/mman.h>
#include <cblas.h>
extern void openblas_set_num_threads(int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static int N; static double *A,*B,*C; static float *fA,*fB,*fC; static int prec;
static int bnd[65], NP; static double fbw[2]={1,1}; static double pdur[64]; static int isfb; static atomic_int gen, nextp, done_;
static void part(int p){ int r0=bnd[p], r1=bnd[p+1]; double ts=now();
  if(prec==64) cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,r1-r0,N,N,1,A+(size_t)r0*N,N,B,N,0,C+(size_t)r0*N,N);
  else cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,r1-r0,N,N,1,fA+(size_t)r0*N,N,fB,N,0,fC+(size_t)r0*N,N);
  pdur[p]=now()-ts; }
static void take(){ for(;;){int p=atomic_fetch_add(&nextp,1); if(p>=NP) return; part(p); atomic_fetch_add(&done_,1);} }
static void* worker(void*x){ (void)x; int seen=0; for(;;){ int g; while((g=atomic_load(&gen))==seen); seen=g; take();} return 0; }
static void* al(size_t b){void*p=0; if(posix_memalign(&p,1<<21,b)){perror("posix_memalign"); exit(1);} madvise(p,b,MADV_HUGEPAGE); memset(p,0,b); return p;}
/* schedule strings: "s2" static 2, "d8" 8 equal, "g:40,40,5,5,5,5" percents, "1t:P" P sequential parts on one thread */
static int setsched(const char*s){ int two=1; double w[64]; int k=0;
  if(s[0]=='s'||s[0]=='d'){int p=atoi(s+1); for(int i=0;i<p;i++) w[k++]=1;}
  else if(s[0]=='g'){ const char*q=s+2; while(*q){ w[k++]=atof(q); while(*q&&*q!=',')q++; if(*q)q++; } }
  else if(s[0]=='f'){ isfb=1; double tot=fbw[0]+fbw[1]; int r=(int)(N*fbw[0]/tot+4)&~7; bnd[0]=0;bnd[1]=r;bnd[2]=N;NP=2; return 1; }
  else if(s[0]=='1'){ int p=atoi(s+3); for(int i=0;i<p;i++) w[k++]=1; two=0; }
  double tot=0; for(int i=0;i<k;i++) tot+=w[i]; double acc=0; bnd[0]=0;
  for(int i=0;i<k;i++){ acc+=w[i]; int r=(int)(acc/tot*N+0.5); r=(r+7)&~7; if(r>N)r=N; bnd[i+1]=r; } bnd[k]=N; NP=k; return two; }
int main(int argc,char**argv){ N=atoi(argv[1]); int it=atoi(argv[2]); prec=atoi(argv[3]); int ns=argc-4; char**sc=argv+4;
  size_t nn=(size_t)N*N; A=al(nn*8);B=al(nn*8);C=al(nn*8);fA=al(nn*4);fB=al(nn*4);fC=al(nn*4);
  srand(1); for(size_t i=0;i<nn;i++){A[i]=rand()/(double)RAND_MAX-.5;B[i]=rand()/(double)RAND_MAX-.5;fA[i]=A[i];fB[i]=B[i];}
  openblas_set_num_threads(1); pthread_t t; pthread_create(&t,0,worker,0);
  double fl=2.0*N*N*(double)N; double *g=malloc(sizeof(double)*it*ns);
  for(int i=-2;i<it;i++) for(int s=0;s<ns;s++){ isfb=0; int two=setsched(sc[s]); double t0=now();
    if(two){ atomic_store(&nextp,0); atomic_store(&done_,0); atomic_fetch_add(&gen,1); take(); while(atomic_load(&done_)<NP); }
    else for(int p=0;p<NP;p++) part(p);
    double dt=now()-t0; if(isfb){ for(int p=0;p<2;p++){ double rate=(bnd[p+1]-bnd[p])/pdur[p]/N; fbw[p]=0.5*fbw[p]+0.5*rate;} double m=(fbw[0]+fbw[1])/2; for(int p=0;p<2;p++){ if(fbw[p]<m*0.5)fbw[p]=m*0.5; fbw[p]/=m; } } if(i>=0) g[s*it+i]=fl/dt/1e9; }
  for(int s=0;s<ns;s++){ double*x=g+s*it; for(int i=0;i<it;i++)for(int j=i+1;j<it;j++)if(x[j]<x[i]){double y=x[i];x[i]=x[j];x[j]=y;}
    printf("n=%d f%d %-22s median %6.1f  q25 %6.1f  q75 %6.1f  best %6.1f GFLOP/s\n",N,prec,sc[s],x[it/2],x[it/4],x[3*it/4],x[it-1]); }
  return 0; }
