"""postgresql.conf sizing from the server type: the PGTune formula for a web/OLTP load on SSD.

The formula is the one PGTune (le0pard/pgtune, `configurationSlice.js`, profile "web", storage
"ssd") applies, so a reader can check any value against pgtune.leopard.in.ua:

| setting                          | formula                                                         |
|----------------------------------|-----------------------------------------------------------------|
| shared_buffers                   | RAM / 4                                                         |
| effective_cache_size             | RAM * 3 / 4                                                     |
| maintenance_work_mem             | RAM / 16, at most 2 GB                                          |
| wal_buffers                      | 3 % of shared_buffers, at most 16 MB (14 MB and up become 16 MB)|
| work_mem                         | (RAM - shared_buffers) / ((max_connections + workers) * 3), >= 4 MB |
| min_wal_size / max_wal_size      | 1 GB / 4 GB                                                     |
| checkpoint_completion_target     | 0.9                                                             |
| random_page_cost                 | 1.1 (SSD-backed Hetzner volumes)                                |
| effective_io_concurrency         | 200 (SSD)                                                       |
| huge_pages                       | `try` once shared_buffers reaches 2 GB, else `off`              |
| jit                              | off (short OLTP queries pay the compile time and gain nothing)  |
| parallel workers                 | 4+ vCPUs only: vCPUs; per gather / maintenance vCPUs / 2, <= 4 |

`workers` is max_worker_processes: the vCPU count with 4+ vCPUs, PostgreSQL's default 8 below.
RAM is the server type's nominal memory (Hetzner's catalog), as PGTune takes it. `try` alone uses no
huge pages unless the kernel reserved some: the VM's bootstrap.sh reserves what PostgreSQL computes.
"""

from __future__ import annotations

from ..config.catalog import ServerType

KB_PER_MB = 1024
MB_PER_GB = 1024
PG_DEFAULT_WORKERS = 8
MIN_WORK_MEM_KB = 4 * KB_PER_MB
MAX_MAINTENANCE_MB = 2 * MB_PER_GB
MAX_WAL_BUFFERS_KB = 16 * KB_PER_MB
HUGE_PAGES_FROM_MB = 2 * MB_PER_GB
PARALLEL_FROM_CPUS = 4


def _size(kilobytes: int) -> str:
    """PostgreSQL memory unit: whole GB or MB when exact, else kB (PGTune prints the same way)."""
    if kilobytes % (KB_PER_MB * MB_PER_GB) == 0:
        return f"{kilobytes // (KB_PER_MB * MB_PER_GB)}GB"
    if kilobytes % KB_PER_MB == 0:
        return f"{kilobytes // KB_PER_MB}MB"
    return f"{kilobytes}kB"


def tuned_settings(server_type: ServerType, max_connections: int) -> dict[str, str]:
    """The memory, checkpoint, planner and parallelism settings for one server type."""
    ram_kb = server_type.memory_gib * MB_PER_GB * KB_PER_MB
    cpus = server_type.vcpus
    shared_buffers_kb = ram_kb // 4

    wal_buffers_kb = min(shared_buffers_kb * 3 // 100, MAX_WAL_BUFFERS_KB)
    if wal_buffers_kb >= 14 * KB_PER_MB:
        wal_buffers_kb = MAX_WAL_BUFFERS_KB

    workers = cpus if cpus >= PARALLEL_FROM_CPUS else PG_DEFAULT_WORKERS
    work_mem_kb = max((ram_kb - shared_buffers_kb) // ((max_connections + workers) * 3), MIN_WORK_MEM_KB)

    settings = {
        "shared_buffers": _size(shared_buffers_kb),
        "effective_cache_size": _size(ram_kb * 3 // 4),
        "maintenance_work_mem": _size(min(ram_kb // 16, MAX_MAINTENANCE_MB * KB_PER_MB)),
        "work_mem": _size(work_mem_kb),
        "wal_buffers": _size(wal_buffers_kb),
        "min_wal_size": "1GB",
        "max_wal_size": "4GB",
        "checkpoint_completion_target": "0.9",
        "random_page_cost": "1.1",
        "effective_io_concurrency": "200",
        "huge_pages": "try" if shared_buffers_kb >= HUGE_PAGES_FROM_MB * KB_PER_MB else "off",
        "jit": "off",
    }
    if cpus >= PARALLEL_FROM_CPUS:
        per_gather = min(cpus // 2, 4)
        settings |= {
            "max_worker_processes": str(cpus),
            "max_parallel_workers": str(cpus),
            "max_parallel_workers_per_gather": str(per_gather),
            "max_parallel_maintenance_workers": str(per_gather),
        }
    return settings
