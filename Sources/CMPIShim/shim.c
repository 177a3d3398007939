// See include/cmpi_shim.h.
#include "cmpi_shim.h"

#include <mpi.h>
#include <stdlib.h>

int rlhf_mpi_launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL || getenv("PMI_RANK") != NULL;
}

int rlhf_mpi_init(int *rank, int *size, int *local_rank, int *local_size) {
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return rc;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if ((rc = MPI_Comm_rank(MPI_COMM_WORLD, rank)) != MPI_SUCCESS) return rc;
    if ((rc = MPI_Comm_size(MPI_COMM_WORLD, size)) != MPI_SUCCESS) return rc;
    MPI_Comm local;
    if ((rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, *rank, MPI_INFO_NULL, &local)) != MPI_SUCCESS) return rc;
    MPI_Comm_rank(local, local_rank);
    MPI_Comm_size(local, local_size);
    MPI_Comm_free(&local);
    return MPI_SUCCESS;
}

int rlhf_mpi_active(void) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
}

int rlhf_mpi_finalize(void) { return MPI_Finalize(); }

void rlhf_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

int rlhf_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

int rlhf_mpi_bcast_bytes(void *buffer, int64_t count, int root) {
    // in chunks below INT_MAX bytes
    char *p = (char *)buffer;
    const int64_t chunk = (int64_t)1 << 30;
    for (int64_t done = 0; done < count; done += chunk) {
        int64_t n = count - done < chunk ? count - done : chunk;
        int rc = MPI_Bcast(p + done, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

int rlhf_mpi_alltoallv_floats(const float *send, const int *send_counts, const int *send_displs,
                              float *recv, const int *recv_counts, const int *recv_displs) {
    return MPI_Alltoallv(send, send_counts, send_displs, MPI_FLOAT, recv, recv_counts, recv_displs, MPI_FLOAT, MPI_COMM_WORLD);
}

int rlhf_mpi_allgatherv_floats(const float *send, int count, float *recv, const int *counts, const int *displs) {
    return MPI_Allgatherv(send, count, MPI_FLOAT, recv, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
}

int rlhf_mpi_allgatherv_bytes(const void *send, int count, void *recv, const int *counts, const int *displs) {
    return MPI_Allgatherv(send, count, MPI_BYTE, recv, counts, displs, MPI_BYTE, MPI_COMM_WORLD);
}

int rlhf_mpi_allgather_int64(int64_t value, int64_t *recv) {
    return MPI_Allgather(&value, 1, MPI_INT64_T, recv, 1, MPI_INT64_T, MPI_COMM_WORLD);
}

int rlhf_mpi_allreduce_sum_doubles(double *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

int rlhf_mpi_allreduce_max_doubles(double *buffer, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}

const char *rlhf_mpi_error_string(int code) {
    static char text[MPI_MAX_ERROR_STRING + 1];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    text[length] = 0;
    return text;
}
