namespace VSwitch.Dataplane.Ports;

/// <summary>Opens <c>memory</c> and <c>memory:NAME</c> ports.</summary>
public sealed class MemoryPortFactory : IPortFactory
{
    public bool Handles(string device) => device == "memory" || device.StartsWith("memory:", StringComparison.Ordinal);

    public IPort Create(PortRequest request) => new InMemoryPort(request.Device, request.QueueCount);
}
