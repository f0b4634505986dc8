using VSwitch.Control.Model;
using VSwitch.Dataplane.Ports;
using VSwitch.Ports.Linux;

namespace VSwitch.Control.Tests;

/// <summary>Builders shared by the model tests: a deterministic context and quick objects.</summary>
internal static class Given
{
    public static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>The daemon's port types: what device strings the model accepts.</summary>
    public static readonly PortTypes PortTypes = new(new TapPortType(), new AfPacketPortType(), new MemoryPortType());

    /// <summary>A context whose ids count up from 1 and whose clock stands still.</summary>
    public static OperationContext Context(string project = "p1", bool admin = true, EquatableArray<PresetGroup>? presets = null)
    {
        var next = 0;
        return new OperationContext(
            ProjectId.Parse(project),
            () => new Guid($"00000000-0000-0000-0000-{Interlocked.Increment(ref next):D12}"),
            () => Time,
            presets ?? EquatableArray<PresetGroup>.Empty,
            admin)
        {
            PortTypes = PortTypes,
        };
    }

    public static ModelChange<NetworkSpec> Network(SwitchModel model, OperationContext context, string name = "net") =>
        NetworkOperations.Create(model, new NetworkBody(name), context);

    public static ModelChange<SecurityGroup> Group(SwitchModel model, OperationContext context, string name = "g", bool stateful = true) =>
        SecurityGroupOperations.Create(model, new SecurityGroupBody(name, Stateful: stateful), context);

    /// <summary>A model with one network and one (non-default) group of the context's project.</summary>
    public static (SwitchModel Model, Guid NetworkId, Guid GroupId) NetworkAndGroup(OperationContext context)
    {
        var net = Network(SwitchModel.Empty, context);
        var group = Group(net.Model, context);
        return (group.Model, net.Value.Id, group.Value.Id);
    }

    /// <summary>Asserts a refusal with Neutron's status and type, and returns it for further checks.</summary>
    public static NeutronException Refused(int status, string type, Action action)
    {
        var ex = Assert.Throws<NeutronException>(action);
        Assert.Equal((status, type), (ex.StatusCode, ex.Type));
        return ex;
    }
}
