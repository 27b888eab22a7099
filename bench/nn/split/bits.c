// Whether cutting a product into two row blocks changes its bits: for each cut at a
// multiple of Q, the two blocks against the uncut product, float64 and float32, on the
// core OPENBLAS_CORETYPE picks (= the same bits, X differing).
//   gcc -O2 -o bits bits.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas
//   OPENBLAS_CORETYPE=Haswell ./bits
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
extern void openblas_set_num_threads(int);
int main(){ openblas_set_num_threads(1);
 int shapes[][3]={{300,257,301},{513,67,129},{1024,96,40},{1024,1024,1024},{600,300,500},{64,1000,200}};
 int Qs[]={8,16,32,64,128};
 for(int s=0;s<6;s++){ int m=shapes[s][0],k=shapes[s][1],n=shapes[s][2];
  double*A=malloc(8*m*k),*B=malloc(8*k*n),*C0=malloc(8*m*n),*C1=malloc(8*m*n); float*fA=malloc(4*m*k),*fB=malloc(4*k*n),*F0=malloc(4*m*n),*F1=malloc(4*m*n);
  srand(s); for(int i=0;i<m*k;i++){A[i]=rand()/(double)RAND_MAX-.5;fA[i]=A[i];} for(int i=0;i<k*n;i++){B[i]=rand()/(double)RAND_MAX-.5;fB[i]=B[i];}
  cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,m,n,k,1,A,k,B,n,0,C0,n);
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,m,n,k,1,fA,k,fB,n,0,F0,n);
  printf("%dx%dx%d:",m,k,n);
  for(int qi=0;qi<5;qi++){ int Q=Qs[qi]; int okd=1, okf=1;
    for(int cut=Q; cut<m; cut+=Q){ // rows split at cut (by rows)
      cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,cut,n,k,1,A,k,B,n,0,C1,n);
      cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,m-cut,n,k,1,A+(size_t)cut*k,k,B,n,0,C1+(size_t)cut*n,n);
      if(memcmp(C0,C1,8*m*n)) okd=0;
      cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,cut,n,k,1,fA,k,fB,n,0,F1,n);
      cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,m-cut,n,k,1,fA+(size_t)cut*k,k,fB,n,0,F1+(size_t)cut*n,n);
      if(memcmp(F0,F1,4*m*n)) okf=0;
      if(m>=1000) cut+=7*Q; }
    printf("  Q%d d%s f%s",Q,okd?"=":"X",okf?"=":"X"); }
  printf("\n"); }
}
