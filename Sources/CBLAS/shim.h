// OpenBLAS's CBLAS interface (Debian libopenblas-dev). LAPACK routines are in the
// same library; declare the Fortran ones used here (column-major, by pointer).
#include <cblas.h>
#include <stddef.h>

// LAPACK (Fortran calling convention: every argument by pointer; character
// arguments carry a hidden length argument at the end).
void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv,
            double *b, const int *ldb, int *info);
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
void dgetri_(const int *n, double *a, const int *lda, const int *ipiv, double *work,
             const int *lwork, int *info);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t jobz_len, size_t uplo_len);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
             double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info,
             size_t uplo_len);
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda,
             double *b, const int *ldb, double *s, const double *rcond, int *rank,
             double *work, const int *lwork, int *iwork, int *info);
void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz,
            double *work, int *info, size_t jobz_len);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);
// general eigenproblems (eig) and complex solves (expm)
void dgeev_(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
            double *wr, double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr,
            double *work, const int *lwork, int *info, size_t jobvl_len, size_t jobvr_len);
void zgeev_(const char *jobvl, const char *jobvr, const int *n, void *a, const int *lda,
            void *w, void *vl, const int *ldvl, void *vr, const int *ldvr,
            void *work, const int *lwork, double *rwork, int *info, size_t jobvl_len, size_t jobvr_len);
void zgesv_(const int *n, const int *nrhs, void *a, const int *lda, int *ipiv,
            void *b, const int *ldb, int *info);
