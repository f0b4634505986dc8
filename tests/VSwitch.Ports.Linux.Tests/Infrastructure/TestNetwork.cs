using System.Security.Cryptography;

namespace VSwitch.Ports.Linux.Tests.Infrastructure;

/// <summary>
/// Namespaces and links one test creates, named with a per-instance random prefix (<c>plt-XXXXXX-*</c> namespaces,
/// <c>pltXXXXXX*</c> links), and removed again in <see cref="Dispose"/> even when the test failed.
/// Addresses handed out are from 198.18.0.0/15 only.
/// </summary>
internal sealed class TestNetwork : IDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly List<string> _hostLinks = [];
    private int _links;

    public TestNetwork()
    {
        Assert.True(Shell.IsRoot, "privileged tests need root (CI runs them as root)");
        Id = Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
        // A /24 per test network: 198.18.X.0/24 and 198.19.X.0/24 with X from the random id.
        Subnet = RandomNumberGenerator.GetInt32(0, 256);
    }

    /// <summary>Six hex digits unique to this network.</summary>
    public string Id { get; }

    /// <summary>Third octet for this network's addresses (198.18.Subnet.0/24, 198.19.Subnet.0/24).</summary>
    public int Subnet { get; }

    /// <summary>An address in 198.18.Subnet.0/24.</summary>
    public string Address(int host, int secondOctet = 18) => $"198.{secondOctet}.{Subnet}.{host}";

    /// <summary>A link name unique to this network (at most 15 characters).</summary>
    public string LinkName(string tag) => $"plt{Id}{tag}{_links++}";

    /// <summary>Creates a namespace with lo up.</summary>
    public string AddNamespace(string tag)
    {
        var name = $"plt-{Id}-{tag}";
        Shell.Ip($"netns add {name}");
        _namespaces.Add(name);
        Shell.Ip($"-n {name} link set lo up");
        return name;
    }

    /// <summary>Creates a veth pair: the host end stays here, the peer goes into <paramref name="ns"/>; both up.</summary>
    public (string Host, string Peer) AddVeth(string ns)
    {
        var host = LinkName("h");
        var peer = LinkName("p");
        Shell.Ip($"link add {host} type veth peer name {peer} netns {ns}");
        _hostLinks.Add(host);
        Shell.Ip($"link set {host} up");
        Shell.Ip($"-n {ns} link set {peer} up");
        return (host, peer);
    }

    /// <summary>
    /// Creates a veth pair with both ends in the switch's namespace, both up. With <paramref name="quiet"/>, IPv6 is
    /// off on both before they come up, so the kernel sends nothing on them (no DAD, router solicitations or MLD).
    /// </summary>
    public (string A, string B) AddHostVeth(bool quiet = false)
    {
        var a = LinkName("a");
        var b = LinkName("b");
        Shell.Ip($"link add {a} type veth peer name {b}");
        _hostLinks.Add(a);
        if (quiet)
        {
            DisableIpv6(a);
            DisableIpv6(b);
        }
        Shell.Ip($"link set {a} up");
        Shell.Ip($"link set {b} up");
        return (a, b);
    }

    /// <summary>Remembers a host link to delete at the end (e.g. a TAP device a test created).</summary>
    public void TrackHostLink(string name) => _hostLinks.Add(name);

    public void Dispose()
    {
        foreach (var link in _hostLinks)
        {
            Shell.TryIp($"link del {link}");
        }
        foreach (var ns in _namespaces)
        {
            Shell.TryIp($"netns del {ns}");
        }
    }

    private static void DisableIpv6(string link)
    {
        var path = $"/proc/sys/net/ipv6/conf/{link}/disable_ipv6";
        if (File.Exists(path))
        {
            File.WriteAllText(path, "1");
        }
    }
}
