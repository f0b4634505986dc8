namespace VSwitch.Control.Model;

/// <summary>Create, update, delete and read networks.</summary>
/// <remarks>
/// A network is an L2 segment; frames never cross networks. As in Neutron, creating a network is a project's first use
/// (its <c>default</c> group and presets are made, see <see cref="ProjectDefaults"/>), names need not be unique, and a
/// network with ports cannot be deleted (<c>NetworkInUse</c>, 409; Neutron deletes only its own DHCP and router ports,
/// which do not exist here).
/// <para><b>Thread-safety.</b> Pure functions of immutable inputs (see <see cref="SwitchModel"/> on applying results).</para>
/// </remarks>
public static class NetworkOperations
{
    public static ModelChange<NetworkSpec> Create(SwitchModel model, NetworkBody request, OperationContext context)
    {
        var name = NeutronAttributes.Name(request.Name);
        var description = NeutronAttributes.Description(request.Description);
        var project = NeutronAttributes.Project(request.ProjectId, context);
        var mtu = Mtu(request.Mtu) ?? NetworkSpec.DefaultMtu;
        model = ProjectDefaults.EnsureProject(model, project, context);
        var before = model; // a project's automatic groups are not the request's: not counted against it
        var now = context.Now();
        var network = new NetworkSpec(context.NewId(), name, request.AdminStateUp ?? true)
        {
            ProjectId = project,
            Description = description,
            CreatedAt = now,
            UpdatedAt = now,
            Mtu = mtu,
            VlanTransparent = request.VlanTransparent ?? false,
            External = request.External ?? false,
        };
        return new ModelChange<NetworkSpec>(
            QuotaOperations.Enforce(before, model with { Networks = model.Networks.Add(network.Id, network) }, context), network);
    }

    public static ModelChange<NetworkSpec> Update(SwitchModel model, Guid id, NetworkBody request, OperationContext context)
    {
        var name = request.Name is null ? null : NeutronAttributes.Name(request.Name);
        var description = request.Description is null ? null : NeutronAttributes.Description(request.Description);
        var mtu = Mtu(request.Mtu);
        if (request.VlanTransparent is not null)
        {
            throw NeutronErrors.ReadOnlyAttribute("vlan_transparent");
        }
        var network = Get(model, id, context);
        NeutronAttributes.RefuseProjectChange(request.ProjectId, network.ProjectId);
        if (request.External == false && network.External
            && (model.Routers.Values.Any(r => r.ExternalGateway?.NetworkId == id) || model.FloatingIps.Values.Any(f => f.FloatingNetworkId == id)))
        {
            throw NeutronErrors.ExternalNetworkInUse(id);
        }
        var updated = network with
        {
            Name = name ?? network.Name,
            Description = description ?? network.Description,
            AdminStateUp = request.AdminStateUp ?? network.AdminStateUp,
            Mtu = mtu ?? network.Mtu,
            External = request.External ?? network.External,
            RevisionNumber = network.RevisionNumber + 1,
            UpdatedAt = context.Now(),
        };
        return new ModelChange<NetworkSpec>(model with { Networks = model.Networks.SetItem(id, updated) }, updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        Get(model, id, context);
        if (model.Ports.Values.Any(p => p.NetworkId == id))
        {
            throw NeutronErrors.NetworkInUse(id);
        }
        // Its subnets go with it (Neutron deletes a network's subnets once no port uses them).
        return model with
        {
            Networks = model.Networks.Remove(id),
            Subnets = model.Subnets.RemoveRange(model.Subnets.Values.Where(s => s.NetworkId == id).Select(s => s.Id)),
        };
    }

    /// <summary>The network, or <c>NetworkNotFound</c> (404) if it is missing or not visible to the caller.</summary>
    public static NetworkSpec Get(SwitchModel model, Guid id, OperationContext context) =>
        model.Networks.TryGetValue(id, out var network) && context.CanSee(network.ProjectId) ? network : throw NeutronErrors.NetworkNotFound(id);

    public static IEnumerable<NetworkSpec> List(SwitchModel model, OperationContext context) =>
        model.Networks.Values.Where(n => context.CanSee(n.ProjectId));

    /// <summary>A requested MTU, checked against the range the switch carries (Neutron answers InvalidInput).</summary>
    private static int? Mtu(int? requested) => requested switch
    {
        null => null,
        < NetworkSpec.MinMtu => throw NeutronErrors.InvalidInput($"Requested MTU {requested} is too small, minimum is {NetworkSpec.MinMtu}"),
        > NetworkSpec.MaxMtu => throw NeutronErrors.InvalidInput($"Requested MTU is too big, maximum is {NetworkSpec.MaxMtu}"),
        _ => requested,
    };
}
