namespace Mirror.Cli.Local;

/// <summary>The --help texts of `mirrorctl local` and its commands.</summary>
internal static class LocalHelp
{
    private const string DirOption =
        "  --dir DIR        the cluster folder (also --cluster; default: $MIRROR_CLUSTER_DIR, else the\n" +
        "                   nearest .mirror/local from here upward, else ./.mirror/local)\n";

    public const string General =
        "usage: mirrorctl local COMMAND [OPTIONS]    (mirrorctl local COMMAND --help)\n\n" +
        "A whole cluster of real processes on 127.0.0.1: one MDS and OSTs, each a mirrord.\n\n" +
        "commands:\n" +
        "  up               start the cluster (or the processes of it that are down)\n" +
        "  status           list the processes and whether each runs (exit 3 if some are down)\n" +
        "  stop NAME        stop one process (ost-1, mds-0, ...)\n" +
        "  start NAME       start one process again, on its recorded port with its data\n" +
        "  down             stop all processes (mounts, then OSTs); --purge also deletes the folder\n";

    public static IReadOnlyDictionary<string, string> ForCommand { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["up"] =
            "usage: mirrorctl local up [--dir DIR] [--osts N] [--no-mount] [--capacity SIZE]\n" +
            "                          [--client-lease-ms MS] [--lock-callback-timeout-ms MS]\n" +
            "                          [--recovery-window-ms MS]\n\n" +
            "Starts one MDS and N OSTs (default 4) on 127.0.0.1 with ephemeral ports: the first half labelled\n" +
            "ssd in pool flash, the rest hdd in pool archive, each OST its own failure domain. Creates\n" +
            "DIR/token (mode 0600), data folders DIR/mds-0 and DIR/ost-N, logs DIR/logs/NAME.log, and records\n" +
            "everything in DIR/cluster.json. On a cluster that runs it only says so; processes that are down\n" +
            "are started again on their recorded ports with their data.\n" +
            "A new cluster also gets a volume `default` (two IMMEDIATE mirrors per file) mounted by a\n" +
            "`mirrord mount` process (mount-default) on DIR/mnt/default, when running as root with a working\n" +
            "/dev/fuse; `local down` unmounts it first.\n\n" +
            "options:\n" + DirOption +
            "  --osts N         number of OSTs of a new cluster (1-64, default 4)\n" +
            "  --no-mount       no default volume mount for a new cluster\n" +
            "  --capacity SIZE  capacity of the default volume (default: the free space of DIR's file system)\n" +
            "  --client-lease-ms MS\n" +
            "                   `mirrord mds` option: evict a client not heard from for MS (100 or more;\n" +
            "                   mirrord's default 30000)\n" +
            "  --lock-callback-timeout-ms MS\n" +
            "                   `mirrord mds` option: evict a lock holder that has not cancelled MS after a\n" +
            "                   callback (10 or more; default 10000)\n" +
            "  --recovery-window-ms MS\n" +
            "                   `mirrord mds` option: after a restart, wait MS for clients to reconnect\n" +
            "                   (0 or more; default 15000)\n" +
            "The three MDS options are recorded in cluster.json and passed to the MDS at every start (also\n" +
            "`local start mds-0`); given to a cluster whose MDS runs, they apply when it starts again.\n",
        ["status"] =
            "usage: mirrorctl local status [--dir DIR] [--json]\n\n" +
            "Every process with its role, address, pid, whether it runs (the pid is alive and is that mirrord),\n" +
            "labels, pool and data folder; the token file and mountpoints.\n" +
            "Exit 0 if all run, 3 if some are down, 1 if there is no cluster.\n\n" +
            "options:\n" + DirOption +
            "  --json           {dir, token_file, mds, processes: [{name, role, index, address, metrics, pid,\n" +
            "                   running, labels, pool, failure_domain, data, log}], mountpoints}\n",
        ["stop"] =
            "usage: mirrorctl local stop NAME [--dir DIR]\n\n" +
            "Sends SIGTERM to the recorded pid of NAME (after checking it is that mirrord), waits for it to\n" +
            "exit, and sends SIGKILL if it has not within 10 seconds. Its data stays.\n\n" +
            "options:\n" + DirOption,
        ["start"] =
            "usage: mirrorctl local start NAME [--dir DIR]\n\n" +
            "Starts NAME again on its recorded address and metrics port with the same data, and waits until\n" +
            "it is ready (an OST: until the MDS lists it; the MDS: until the running OSTs are back in it).\n\n" +
            "options:\n" + DirOption,
        ["down"] =
            "usage: mirrorctl local down [--dir DIR] [--purge]\n\n" +
            "Unmounts the default volume (stops mount-default), then stops the OSTs, then the MDS. The data\n" +
            "stays unless --purge, which then deletes the whole cluster folder.\n\n" +
            "options:\n" + DirOption +
            "  --purge          delete the cluster folder (data, logs, token) after stopping\n",
    };
}
