namespace VSwitch.Dataplane.Ports;

/// <summary><c>memory</c> and <c>memory:NAME</c>: in-process ports (<see cref="InMemoryPort"/>) for tests and benchmarks.</summary>
public sealed class MemoryPortType : IPortType
{
    /// <summary>The longest NAME accepted.</summary>
    public const int MaxNameLength = 64;

    public string Scheme => "memory";

    public string Syntax => "memory[:NAME]";

    public PortDevice Parse(string device)
    {
        if (device != "memory")
        {
            var name = device.StartsWith("memory:", StringComparison.Ordinal) ? device["memory:".Length..] : null;
            if (name is null || name.Length is 0 or > MaxNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new PortException($"device '{device}': expected {Syntax} with a NAME of 1 to {MaxNameLength} letters, digits, '-', '_' or '.'");
            }
        }
        return new PortDevice(device, this, Exclusive: null, NeedsMac: false, Revives: false);
    }

    public IPort Open(PortRequest request)
    {
        Parse(request.Device);
        return new InMemoryPort(request.Device, request.QueueCount);
    }
}
