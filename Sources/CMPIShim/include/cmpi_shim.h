// The few MPI calls swift-rlhf makes, as plain C functions over MPI_COMM_WORLD (whose handle, like the
// datatype and operation handles, is a C macro that Swift cannot import). Every function returns an MPI
// error code (MPI_SUCCESS = 0); errors are returned, not fatal (MPI_ERRORS_RETURN on the communicator).
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H

#include <stdint.h>

/// 1 when this process was started by mpirun/mpiexec (Open MPI's or PMIx's environment), else 0.
int rlhf_mpi_launched(void);

/// MPI_Init_thread (MPI_THREAD_FUNNELED) and the world's rank and size; errors return on MPI_COMM_WORLD.
/// `local_rank`/`local_size`: this process among the ranks on its host (MPI_COMM_TYPE_SHARED).
int rlhf_mpi_init(int *rank, int *size, int *local_rank, int *local_size);

/// 1 once MPI_Init has run and MPI_Finalize has not.
int rlhf_mpi_active(void);

/// MPI_Finalize.
int rlhf_mpi_finalize(void);

/// MPI_Abort on the world with `code`: every rank stops.
void rlhf_mpi_abort(int code);

/// MPI_Barrier on the world.
int rlhf_mpi_barrier(void);

/// MPI_Bcast of `count` bytes from `root`.
int rlhf_mpi_bcast_bytes(void *buffer, int64_t count, int root);

/// MPI_Alltoallv of floats: `send_counts[r]` floats at `send_displs[r]` go to rank r; from rank r come
/// `recv_counts[r]` floats placed at `recv_displs[r]`.
int rlhf_mpi_alltoallv_floats(const float *send, const int *send_counts, const int *send_displs,
                              float *recv, const int *recv_counts, const int *recv_displs);

/// MPI_Allgatherv of floats: this rank's `count` floats; rank r's land at `displs[r]` (`counts[r]` floats).
int rlhf_mpi_allgatherv_floats(const float *send, int count, float *recv, const int *counts, const int *displs);

/// MPI_Allgatherv of bytes (as above, in bytes).
int rlhf_mpi_allgatherv_bytes(const void *send, int count, void *recv, const int *counts, const int *displs);

/// MPI_Allgather of one int64 per rank into `recv[size]`.
int rlhf_mpi_allgather_int64(int64_t value, int64_t *recv);

/// MPI_Allreduce (MPI_SUM) of doubles in place. Used only for figures every rank may see in any
/// rounding (timings); gradients use the fixed-order reduction.
int rlhf_mpi_allreduce_sum_doubles(double *buffer, int count);

/// MPI_Allreduce (MPI_MAX) of doubles in place.
int rlhf_mpi_allreduce_max_doubles(double *buffer, int count);

/// The text of an MPI error code (static storage; empty when unknown).
const char *rlhf_mpi_error_string(int code);

#endif
