using VSwitch.Control.Model;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Control.Tests;

/// <summary>
/// The incremental policy compiler: shared classifiers, shared address sets and per-port generations, checked against
/// a literal reading of the model (the rules of the port's groups, remote groups and address groups expanded on the
/// spot) after every step of random changes, and for the "only what the change touched" promises.
/// </summary>
public class PolicyCompilerTests
{
    private readonly OperationContext _context = Given.Context();

    private static readonly int s_scale = int.TryParse(Environment.GetEnvironmentVariable("VSWITCH_RANDOM_SCALE"), out var scale) && scale > 0 ? scale : 1;

    /// <summary>The first rule of the port's groups (in the port's order) that allows the query, read literally.</summary>
    private static Guid? Oracle(SwitchModel model, PortSpec port, bool ingress, in ClassifierQuery q)
    {
        var membership = SecurityGroupMembership.Of(model);
        foreach (var rule in membership.EffectiveRules(port.Id))
        {
            if ((rule.Direction == RuleDirection.Ingress) == ingress && Matches(model, membership, rule, q))
            {
                return rule.Id;
            }
        }
        return null;
    }

    private static bool Matches(SwitchModel model, SecurityGroupMembership membership, SecurityGroupRule rule, in ClassifierQuery q)
    {
        var family = q.Ipv6 ? Ethertype.IPv6 : Ethertype.IPv4;
        if (rule.Ethertype != family || (rule.ProtocolNumber is { } protocol && protocol != q.Protocol))
        {
            return false;
        }
        var number = rule.ProtocolNumber ?? -1;
        if (ClassifierRule.HasPorts(number) && rule.PortRangeMin is { } min
            && (q.LaterFragment || q.PortKey < min || q.PortKey > (rule.PortRangeMax ?? min)))
        {
            return false;
        }
        if (ClassifierRule.IsIcmp(number) && rule.PortRangeMin is { } type
            && (q.LaterFragment || q.PortKey >> 8 != type || (rule.PortRangeMax is { } code && (q.PortKey & 0xFF) != code)))
        {
            return false;
        }
        var address = q.RemoteAddress;
        if (rule.RemoteGroupId is { } remote)
        {
            return membership.Addresses(remote, family).Any(p => p.Contains(address, family));
        }
        if (rule.RemoteAddressGroupId is { } addressGroup)
        {
            return AddressGroupOperations.AddressesOf(model, addressGroup, family).Any(p => p.Contains(address, family));
        }
        return rule.RemoteIpPrefix is not { } prefix || prefix.Contains(address, family);
    }

    private static Guid? Compiled(PolicyCompiler compiler, PortPolicy policy, bool ingress, in ClassifierQuery q)
    {
        var index = (ingress ? policy.Ingress : policy.Egress).Lookup(in q, compiler.AddressSets);
        return index < 0 ? null : compiler.RuleOfSlot((ingress ? policy.IngressRuleSlots : policy.EgressRuleSlots)[index]);
    }

    private static IpAddress128 V4(int host) => IpAddress128.FromIpv4(0xC612_0000u | (uint)host);

    private static IpAddress128 V6(int host) => new(0x2001_0db8_0000_0000UL, (ulong)host);

    private static List<ClassifierQuery> Queries(Random rnd)
    {
        var queries = new List<ClassifierQuery>();
        for (var i = 0; i < 160; i++)
        {
            var ipv6 = rnd.Next(4) == 0;
            var protocol = rnd.Next(3) switch { 0 => 6, 1 => 17, _ => ipv6 ? 58 : 1 };
            queries.Add(new ClassifierQuery
            {
                Ipv6 = ipv6,
                Protocol = (byte)protocol,
                RemoteAddress = ipv6 ? V6(rnd.Next(1, 24)) : V4(rnd.Next(1, 24)),
                PortKey = protocol is 1 or 58 ? (ushort)((rnd.Next(3) * 8) << 8) : (ushort)(new[] { 22, 80, 443, 8080, 9000 }[rnd.Next(5)]),
                LaterFragment = rnd.Next(30) == 0,
            });
        }
        return queries;
    }

    private static string Address(Random rnd, bool ipv6) => ipv6 ? $"2001:db8::{rnd.Next(1, 24):x}" : $"198.18.0.{rnd.Next(1, 24)}";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomChanges_IncrementalVerdictsEqualTheModel_AndAChangedVerdictAlwaysHasANewerGeneration(int seed)
    {
        var rnd = new Random(seed);
        var (model, network, first) = Given.NetworkAndGroup(_context);
        var groups = new List<Guid> { first };
        for (var g = 1; g < 4; g++)
        {
            var group = Given.Group(model, _context, $"g{g}");
            model = group.Model;
            groups.Add(group.Value.Id);
        }
        var addressGroup = AddressGroupOperations.Create(model, new AddressGroupBody("ag", Addresses: ["198.18.0.3/32", "198.18.0.16/30", "2001:db8::4/126"]), _context);
        model = addressGroup.Model;
        var compiler = new PolicyCompiler(4096);
        var queries = Queries(rnd);
        var previous = new Dictionary<Guid, (long Generation, string Verdicts)>();

        for (var step = 0; step < 150 * s_scale; step++)
        {
            try
            {
                model = RandomChange(rnd, model, network, groups, addressGroup.Value.Id);
            }
            catch (NeutronException)
            {
                // A change the model refuses (a duplicate rule, an address in use): the next step tries another.
            }
            compiler.Compile(model);

            foreach (var port in model.Ports.Values)
            {
                var policy = compiler.PolicyOf(port.Id);
                Assert.Equal(port.PortSecurityEnabled, policy is not null);
                var verdicts = new System.Text.StringBuilder();
                foreach (var ingress in new[] { true, false })
                {
                    foreach (var q in queries)
                    {
                        var expected = Oracle(model, port, ingress, q);
                        var actual = policy is null ? null : Compiled(compiler, policy, ingress, q);
                        if (policy is not null && expected != actual)
                        {
                            Assert.Fail($"seed {seed} step {step}: port {port.Name} {(ingress ? "ingress" : "egress")} {q.Protocol} from {q.RemoteAddress} port {q.PortKey}: expected rule {expected}, compiled {actual}");
                        }
                        verdicts.Append(expected).Append(';');
                    }
                }
                var generation = compiler.GenerationOf(port.Id);
                if (previous.TryGetValue(port.Id, out var before) && before.Verdicts != verdicts.ToString())
                {
                    Assert.True(generation > before.Generation, $"seed {seed} step {step}: port {port.Name}'s verdicts changed but its generation stayed {generation}");
                }
                previous[port.Id] = (generation, verdicts.ToString());
            }
        }
    }

    private SwitchModel RandomChange(Random rnd, SwitchModel model, Guid network, List<Guid> groups, Guid addressGroup)
    {
        var ports = model.Ports.Values.ToList();
        var port = ports.Count > 0 ? ports[rnd.Next(ports.Count)] : null;
        IReadOnlyList<Guid> SomeGroups() => groups.OrderBy(_ => rnd.Next()).Take(rnd.Next(0, 3)).ToList();
        switch (rnd.Next(10))
        {
            case 0 or 1:
            {
                var ipv6 = rnd.Next(4) == 0;
                var protocol = new[] { "tcp", "udp", ipv6 ? "ipv6-icmp" : "icmp", null }[rnd.Next(4)];
                int? min = null, max = null;
                if (protocol is "tcp" or "udp" && rnd.Next(3) != 0)
                {
                    min = new[] { 22, 80, 443, 8000 }[rnd.Next(4)];
                    max = min + (rnd.Next(2) == 0 ? 0 : 100);
                }
                else if (protocol is "icmp" or "ipv6-icmp" && rnd.Next(2) == 0)
                {
                    min = rnd.Next(3) * 8;
                    max = rnd.Next(2) == 0 ? null : 0;
                }
                var remote = rnd.Next(4);
                var body = new SecurityGroupRuleBody(groups[rnd.Next(groups.Count)], rnd.Next(2) == 0 ? "ingress" : "egress", ipv6 ? "IPv6" : "IPv4", protocol, min, max,
                    remote == 1 ? (ipv6 ? $"2001:db8::{rnd.Next(1, 24):x}/{rnd.Next(120, 129)}" : $"198.18.0.{rnd.Next(1, 24)}/{rnd.Next(28, 33)}") : null,
                    remote == 2 ? groups[rnd.Next(groups.Count)] : null,
                    RemoteAddressGroupId: remote == 3 ? addressGroup : null);
                return SecurityGroupRuleOperations.Create(model, body, _context).Model;
            }
            case 2:
            {
                var rules = model.SecurityGroups.Values.SelectMany(g => g.Rules).ToList();
                return rules.Count == 0 ? model : SecurityGroupRuleOperations.Delete(model, rules[rnd.Next(rules.Count)].Id, _context);
            }
            case 3 when ports.Count < 8:
                return PortOperations.Create(model, new PortBody($"p{rnd.Next(1000)}", network, FixedIps: [Address(rnd, false), Address(rnd, true)], SecurityGroups: SomeGroups()), _context).Model;
            case 4 when port is not null:
                return PortOperations.Delete(model, port.Id, _context);
            case 5 or 6 when port is not null:
                return PortOperations.Update(model, port.Id, new PortBody(SecurityGroups: SomeGroups(), PortSecurityEnabled: true), _context).Model;
            case 7 when port is not null:
                return PortOperations.Update(model, port.Id, new PortBody(FixedIps: [Address(rnd, rnd.Next(3) == 0)],
                    AllowedAddressPairs: rnd.Next(3) == 0 ? [new AllowedAddressPairBody($"198.18.0.{rnd.Next(1, 24)}/31")] : []), _context).Model;
            case 8 when port is not null:
                return PortOperations.Update(model, port.Id, new PortBody(SecurityGroups: [], PortSecurityEnabled: false), _context).Model;
            case 9:
                return rnd.Next(2) == 0
                    ? AddressGroupOperations.AddAddresses(model, addressGroup, [$"198.18.0.{rnd.Next(1, 24)}/32"], _context).Model
                    : AddressGroupOperations.RemoveAddresses(model, addressGroup, [model.AddressGroups[addressGroup].Addresses.FirstOrDefault().ToString()], _context).Model;
            default:
                return model;
        }
    }

    private (SwitchModel Model, Guid Network, Guid Web, Guid App, Guid Other) Layout()
    {
        var (model, network, web) = Given.NetworkAndGroup(_context);
        var app = Given.Group(model, _context, "app");
        var other = Given.Group(app.Model, _context, "other");
        model = SecurityGroupRuleOperations.Create(other.Model, new SecurityGroupRuleBody(web, "ingress", Protocol: "tcp", PortRangeMin: 80, PortRangeMax: 80, RemoteGroupId: app.Value.Id), _context).Model;
        return (model, network, web, app.Value.Id, other.Value.Id);
    }

    private ModelChange<PortSpec> Port(SwitchModel model, Guid network, string name, string ip, params Guid[] groups) =>
        PortOperations.Create(model, new PortBody(name, network, FixedIps: [ip], SecurityGroups: groups), _context);

    [Fact]
    public void PortsWithTheSameGroups_ShareOneClassifierPair()
    {
        var (model, network, web, app, _) = Layout();
        var a = Port(model, network, "a", "198.18.0.1", web);
        var b = Port(a.Model, network, "b", "198.18.0.2", web);
        var c = Port(b.Model, network, "c", "198.18.0.3", app);
        var compiler = new PolicyCompiler(1024);
        compiler.Compile(c.Model);
        Assert.Same(compiler.PolicyOf(a.Value.Id)!.Ingress, compiler.PolicyOf(b.Value.Id)!.Ingress);
        Assert.Same(compiler.PolicyOf(a.Value.Id)!.Egress, compiler.PolicyOf(b.Value.Id)!.Egress);
        Assert.NotSame(compiler.PolicyOf(a.Value.Id)!.Ingress, compiler.PolicyOf(c.Value.Id)!.Ingress);
        Assert.NotSame(compiler.PolicyOf(a.Value.Id)!.Addresses, compiler.PolicyOf(b.Value.Id)!.Addresses);
        Assert.Equal(2, compiler.GroupSetCount);
    }

    [Fact]
    public void MemberJoiningARemoteGroup_RebuildsTheSetOnly_AndNewerGenerationForItsUsersOnly()
    {
        var (model, network, web, app, other) = Layout();
        var a = Port(model, network, "a", "198.18.0.1", web);
        var b = Port(a.Model, network, "b", "198.18.0.2", other);
        var c = Port(b.Model, network, "c", "198.18.0.3", other);
        var compiler = new PolicyCompiler(1024);
        compiler.Compile(c.Model);
        var webPolicy = compiler.PolicyOf(a.Value.Id)!;
        var otherPolicy = compiler.PolicyOf(b.Value.Id)!;
        var (webGeneration, otherGeneration) = (compiler.GenerationOf(a.Value.Id), compiler.GenerationOf(b.Value.Id));
        var from = new ClassifierQuery { RemoteAddress = V4(3), Protocol = 6, PortKey = 80 };
        Assert.Null(Compiled(compiler, webPolicy, true, from));

        // c joins app: web's rule "tcp 80 from app" now admits c's address.
        var joined = PortOperations.Update(c.Model, c.Value.Id, new PortBody(SecurityGroups: [other, app]), _context).Model;
        Assert.True(compiler.Compile(joined));
        Assert.Same(webPolicy, compiler.PolicyOf(a.Value.Id));
        Assert.Same(otherPolicy, compiler.PolicyOf(b.Value.Id));
        Assert.NotNull(Compiled(compiler, webPolicy, true, from));
        Assert.True(compiler.GenerationOf(a.Value.Id) > webGeneration);
        Assert.Equal(otherGeneration, compiler.GenerationOf(b.Value.Id));
        Assert.True(compiler.GenerationOf(c.Value.Id) > otherGeneration);

        // A change nothing depends on (a name) changes no generation.
        var generation = compiler.Generation;
        var renamed = PortOperations.Update(joined, a.Value.Id, new PortBody(Name: "a2"), _context).Model;
        Assert.False(compiler.Compile(renamed));
        Assert.Equal(generation, compiler.Generation);
    }

    [Fact]
    public void PortGoingBackToAGroupList_ReusesItsIdleClassifiers_UnlessAGroupChangedMeanwhile()
    {
        var (model, network, web, app, _) = Layout();
        var a = Port(model, network, "a", "198.18.0.1", web);
        var compiler = new PolicyCompiler(1024);
        compiler.Compile(a.Model);
        var webOnly = compiler.PolicyOf(a.Value.Id)!.Ingress;
        var joined = PortOperations.Update(a.Model, a.Value.Id, new PortBody(SecurityGroups: [web, app]), _context).Model;
        compiler.Compile(joined);
        var left = PortOperations.Update(joined, a.Value.Id, new PortBody(SecurityGroups: [web]), _context).Model;
        compiler.Compile(left);
        Assert.Same(webOnly, compiler.PolicyOf(a.Value.Id)!.Ingress);

        // [web, app] is idle; app changes; going back to [web, app] must see app's new rule.
        var rule = SecurityGroupRuleOperations.Create(left, new SecurityGroupRuleBody(app, "ingress", Protocol: "udp", PortRangeMin: 53, PortRangeMax: 53), _context);
        compiler.Compile(rule.Model);
        var back = PortOperations.Update(rule.Model, a.Value.Id, new PortBody(SecurityGroups: [web, app]), _context).Model;
        compiler.Compile(back);
        var dns = new ClassifierQuery { RemoteAddress = V4(9), Protocol = 17, PortKey = 53 };
        Assert.Equal(rule.Value.Id, Compiled(compiler, compiler.PolicyOf(a.Value.Id)!, true, dns));
    }

    [Fact]
    public void Invalidate_GivesThePortANewerGenerationOnly()
    {
        var (model, network, web, _, other) = Layout();
        var a = Port(model, network, "a", "198.18.0.1", web);
        var b = Port(a.Model, network, "b", "198.18.0.2", other);
        var compiler = new PolicyCompiler(1024);
        compiler.Compile(b.Model);
        var (aGeneration, bGeneration) = (compiler.GenerationOf(a.Value.Id), compiler.GenerationOf(b.Value.Id));
        compiler.Invalidate(a.Value.Id);
        Assert.True(compiler.GenerationOf(a.Value.Id) > Math.Max(aGeneration, bGeneration));
        Assert.Equal(bGeneration, compiler.GenerationOf(b.Value.Id));
        Assert.Equal(compiler.Generation, compiler.GenerationOf(a.Value.Id));
    }

    [Fact]
    public void RuleAddedToAGroup_NewerGenerationForItsPortsOnly()
    {
        var (model, network, web, _, other) = Layout();
        var a = Port(model, network, "a", "198.18.0.1", web);
        var b = Port(a.Model, network, "b", "198.18.0.2", other);
        var compiler = new PolicyCompiler(1024);
        compiler.Compile(b.Model);
        var (aGeneration, bGeneration) = (compiler.GenerationOf(a.Value.Id), compiler.GenerationOf(b.Value.Id));
        var bPolicy = compiler.PolicyOf(b.Value.Id);
        var added = SecurityGroupRuleOperations.Create(b.Model, new SecurityGroupRuleBody(web, "ingress", Protocol: "udp", PortRangeMin: 53, PortRangeMax: 53), _context);
        Assert.True(compiler.Compile(added.Model));
        Assert.True(compiler.GenerationOf(a.Value.Id) > aGeneration);
        Assert.Equal(bGeneration, compiler.GenerationOf(b.Value.Id));
        Assert.Same(bPolicy, compiler.PolicyOf(b.Value.Id));
        var dns = new ClassifierQuery { RemoteAddress = V4(9), Protocol = 17, PortKey = 53 };
        Assert.Equal(added.Value.Id, Compiled(compiler, compiler.PolicyOf(a.Value.Id)!, true, dns));
    }

    [Fact]
    public void RulesBeyondTheCounterSlots_StillAllow_CountedInTheSharedOverflowSlot()
    {
        var (model, network, web, _, _) = Layout();
        foreach (var port in new[] { 1000, 1001, 1002, 1003, 1004, 1005 })
        {
            model = SecurityGroupRuleOperations.Create(model, new SecurityGroupRuleBody(web, "ingress", Protocol: "tcp", PortRangeMin: port, PortRangeMax: port), _context).Model;
        }
        var a = Port(model, network, "a", "198.18.0.1", web);
        var compiler = new PolicyCompiler(4);
        compiler.Compile(a.Model);
        var policy = compiler.PolicyOf(a.Value.Id)!;
        var last = new ClassifierQuery { RemoteAddress = V4(9), Protocol = 6, PortKey = 1005 };
        var index = policy.Ingress.Lookup(in last, compiler.AddressSets);
        Assert.True(index >= 0, "a rule without a counter slot of its own must still allow");
        Assert.Equal(3, policy.IngressRuleSlots[index]);
        Assert.Null(compiler.RuleOfSlot(3));
    }
}
