using System.Globalization;

namespace Mirror.Cluster.Tests.Harness;

/// <summary>
/// Established IPv4 TCP connections from /proc/net/tcp: lets a test see that a client has connected to
/// a daemon's port (and so is in the middle of its work there) without sleeping.
/// </summary>
public static class TcpConnections
{
    private const string Established = "01";

    /// <summary>Connections in state ESTABLISHED whose local end is <paramref name="port"/> (accepted by the listener on it).</summary>
    public static int AcceptedOn(int port)
    {
        var count = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // sl local_address rem_address st ...; addresses are HEXIP:HEXPORT
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3 && fields[3] == Established
                && int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            {
                count++;
            }
        }

        return count;
    }

    public static int Port(string hostPort) => int.Parse(hostPort[(hostPort.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
}
