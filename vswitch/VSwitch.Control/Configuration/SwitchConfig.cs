using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using VSwitch.Control.Model;
using VSwitch.Packets;

namespace VSwitch.Control.Configuration;

/// <summary>
/// The JSON configuration file of <c>vswitchd --config</c>: data-path sizes, and networks and ports that exist from
/// the start.
/// </summary>
/// <remarks>
/// Ids of networks and ports named in the file are derived from their names (a name-based UUID), so the same file
/// gives the same ids on every start.
/// </remarks>
public sealed class SwitchConfig
{
    [JsonPropertyName("workers")] public int? Workers { get; set; }

    [JsonPropertyName("pin_workers")] public bool PinWorkers { get; set; } = true;

    [JsonPropertyName("max_ports")] public int MaxPorts { get; set; } = 1024;

    [JsonPropertyName("mac_aging_seconds")] public int MacAgingSeconds { get; set; } = 300;

    [JsonPropertyName("mac_table_size")] public int MacTableSize { get; set; } = 65536;

    [JsonPropertyName("networks")] public List<NetworkEntry> Networks { get; set; } = [];

    [JsonPropertyName("ports")] public List<PortEntry> Ports { get; set; } = [];

    public sealed class NetworkEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; } = true;
    }

    public sealed class PortEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("network")] public string Network { get; set; } = "";

        [JsonPropertyName("device")] public string Device { get; set; } = "";

        [JsonPropertyName("mac_address")] public string? MacAddress { get; set; }

        [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; } = true;
    }

    private static readonly JsonSerializerOptions s_json = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and validates a configuration file; errors name the file and the field.</summary>
    public static SwitchConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read: {ex.Message}");
        }
        return Parse(text, path);
    }

    public static SwitchConfig Parse(string json, string source = "config")
    {
        SwitchConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<SwitchConfig>(json, s_json);
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{source}: {ex.Message}");
        }
        if (config is null)
        {
            throw new ConfigException($"{source}: empty configuration");
        }
        config.Validate(source);
        return config;
    }

    private void Validate(string source)
    {
        void Fail(string message) => throw new ConfigException($"{source}: {message}");
        if (Workers is < 1 or > 256)
        {
            Fail($"workers must be between 1 and 256, not {Workers}");
        }
        if (MaxPorts is < 1 or > 65535)
        {
            Fail($"max_ports must be between 1 and 65535, not {MaxPorts}");
        }
        if (MacAgingSeconds is < 1 or > 86400)
        {
            Fail($"mac_aging_seconds must be between 1 and 86400, not {MacAgingSeconds}");
        }
        if (MacTableSize is < 1024 or > (1 << 24))
        {
            Fail($"mac_table_size must be between 1024 and 16777216, not {MacTableSize}");
        }
        var networks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in Networks)
        {
            if (string.IsNullOrWhiteSpace(n.Name))
            {
                Fail("networks[]: name is required");
            }
            if (!networks.Add(n.Name))
            {
                Fail($"networks: duplicate name '{n.Name}'");
            }
        }
        var ports = new HashSet<string>(StringComparer.Ordinal);
        var devices = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in Ports)
        {
            if (string.IsNullOrWhiteSpace(p.Name))
            {
                Fail("ports[]: name is required");
            }
            if (!ports.Add(p.Name))
            {
                Fail($"ports: duplicate name '{p.Name}'");
            }
            if (!networks.Contains(p.Network))
            {
                Fail($"ports[{p.Name}].network: no network named '{p.Network}'");
            }
            if (string.IsNullOrWhiteSpace(p.Device))
            {
                Fail($"ports[{p.Name}].device: required (tap:NAME[@NETNS], afpacket:IFNAME or memory)");
            }
            if (!p.Device.StartsWith("memory", StringComparison.Ordinal) && !devices.Add(p.Device.Split('@')[0]))
            {
                Fail($"ports[{p.Name}].device: '{p.Device}' is used by another port");
            }
            if (p.MacAddress is not null && !VSwitch.Packets.MacAddress.TryParse(p.MacAddress, out _))
            {
                Fail($"ports[{p.Name}].mac_address: '{p.MacAddress}' is not a MAC address");
            }
        }
    }

    /// <summary>The desired state this file describes.</summary>
    public SwitchModel ToModel()
    {
        var networks = ImmutableSortedDictionary.CreateBuilder<Guid, NetworkSpec>();
        var byName = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var n in Networks)
        {
            var id = NameBasedId("network", n.Name);
            byName[n.Name] = id;
            networks[id] = new NetworkSpec(id, n.Name, n.AdminStateUp);
        }
        var ports = ImmutableSortedDictionary.CreateBuilder<Guid, PortSpec>();
        foreach (var p in Ports)
        {
            var id = NameBasedId("port", p.Name);
            MacAddress? mac = p.MacAddress is null ? null : VSwitch.Packets.MacAddress.Parse(p.MacAddress);
            ports[id] = new PortSpec(id, p.Name, byName[p.Network], p.Device, mac, p.AdminStateUp);
        }
        return new SwitchModel(networks.ToImmutable(), ports.ToImmutable());
    }

    /// <summary>A stable UUID (version 5 layout over SHA-1) for a named object of the configuration file.</summary>
    public static Guid NameBasedId(string kind, string name)
    {
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes($"vswitch:{kind}:{name}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

/// <summary>The configuration file is unreadable or invalid; the message names the field.</summary>
public sealed class ConfigException(string message) : Exception(message);
