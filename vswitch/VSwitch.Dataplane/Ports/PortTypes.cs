namespace VSwitch.Dataplane.Ports;

/// <summary>
/// The port types a daemon knows, by scheme: the one place device strings are parsed, validated and opened.
/// </summary>
/// <remarks>
/// What: a lookup from a device string's scheme (the part before the first <c>:</c>, or the whole string) to its
/// <see cref="IPortType"/>. Why: ARCHITECTURE §1, "the control plane asks the port-type registry and never parses device
/// strings itself": the API, the configuration file, the uniqueness check and the reconciler all go through here, so
/// what the API accepts is exactly what the backend opens, with the backend's own messages.
/// Thread-safety: immutable.
/// </remarks>
public sealed class PortTypes
{
    private readonly Dictionary<string, IPortType> _byScheme;

    public PortTypes(params IPortType[] types)
    {
        _byScheme = new Dictionary<string, IPortType>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            if (!_byScheme.TryAdd(type.Scheme, type))
            {
                throw new ArgumentException($"two port types for scheme '{type.Scheme}'", nameof(types));
            }
        }
        All = types;
    }

    /// <summary>Only <c>memory</c> ports: what operations use when nothing else is registered (tests of the model).</summary>
    public static PortTypes MemoryOnly { get; } = new(new MemoryPortType());

    /// <summary>The registered types, in registration order.</summary>
    public IReadOnlyList<IPortType> All { get; }

    /// <summary>Every type's syntax, for messages: <c>tap:..., afpacket:... or memory[:NAME]</c>.</summary>
    public string Syntaxes => All.Count switch
    {
        0 => "no device (no port types are registered)",
        1 => All[0].Syntax,
        _ => string.Join(", ", All.Take(All.Count - 1).Select(t => t.Syntax)) + " or " + All[^1].Syntax,
    };

    /// <summary>Parses <paramref name="device"/> with its type; false with the type's message (or an unknown scheme's).</summary>
    public bool TryParse(string? device, out PortDevice? parsed, out string error)
    {
        parsed = null;
        if (string.IsNullOrEmpty(device))
        {
            error = $"empty device string: expected {Syntaxes}";
            return false;
        }
        var colon = device.IndexOf(':');
        var scheme = colon < 0 ? device : device[..colon];
        if (!_byScheme.TryGetValue(scheme, out var type))
        {
            error = $"device '{device}': unknown port type '{scheme}', expected {Syntaxes}";
            return false;
        }
        try
        {
            parsed = type.Parse(device);
            error = "";
            return true;
        }
        catch (PortException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Parses <paramref name="device"/> with its type, or throws the type's <see cref="PortException"/>.</summary>
    public PortDevice Parse(string device) => TryParse(device, out var parsed, out var error) ? parsed! : throw new PortException(error);

    /// <summary>Opens the port the request's device string names.</summary>
    public IPort Open(PortRequest request) => Parse(request.Device).Type.Open(request);
}
