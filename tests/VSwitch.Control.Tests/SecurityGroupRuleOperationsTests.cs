using VSwitch.Control.Model;

namespace VSwitch.Control.Tests;

public class SecurityGroupRuleOperationsTests
{
    private readonly OperationContext _context = Given.Context();
    private readonly SwitchModel _model;
    private readonly Guid _group;

    public SecurityGroupRuleOperationsTests()
    {
        var change = Given.Group(SwitchModel.Empty, _context);
        _model = change.Model;
        _group = change.Value.Id;
    }

    private SecurityGroupRuleBody Ingress(
        string? protocol = null, int? min = null, int? max = null, string? prefix = null, string ethertype = "IPv4", Guid? remoteGroup = null) =>
        new(_group, "ingress", ethertype, protocol, min, max, prefix, remoteGroup);

    private SecurityGroupRule Create(SecurityGroupRuleBody body) => SecurityGroupRuleOperations.Create(_model, body, _context).Value;

    private NeutronException Refused(int status, string type, SecurityGroupRuleBody body) =>
        Given.Refused(status, type, () => SecurityGroupRuleOperations.Create(_model, body, _context));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("any")]
    [InlineData("ANY")]
    [InlineData("0")]
    [InlineData("ip")]
    [InlineData("hopopt")]
    public void Create_ProtocolAnySpellings_StoredAsAny(string? protocol)
    {
        var rule = Create(Ingress(protocol));
        Assert.Null(rule.Protocol);
        Assert.Null(rule.ProtocolNumber);
    }

    [Theory]
    [InlineData("TCP", "tcp", 6)]
    [InlineData("Udp", "udp", 17)]
    [InlineData("sctp", "sctp", 132)]
    [InlineData("gre", "gre", 47)]
    [InlineData("6", "6", 6)]
    [InlineData("006", "6", 6)]
    [InlineData("255", "255", 255)]
    public void Create_KnownProtocol_StoredAsNeutronDoes(string given, string stored, int number)
    {
        var rule = Create(Ingress(given));
        Assert.Equal(stored, rule.Protocol);
        Assert.Equal(number, rule.ProtocolNumber);
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("256")]
    [InlineData("-1")]
    [InlineData("6.0")]
    public void Create_UnknownProtocol_Returns400InvalidProtocol(string protocol)
    {
        var ex = Refused(400, "SecurityGroupRuleInvalidProtocol", Ingress(protocol));
        Assert.Contains($"protocol {protocol} not supported", ex.Message);
    }

    [Theory]
    [InlineData("icmp", "ipv6-icmp")]
    [InlineData("ICMP", "ipv6-icmp")]
    [InlineData("icmpv6", "ipv6-icmp")]
    [InlineData("ipv6-icmp", "ipv6-icmp")]
    [InlineData("1", "58")]
    [InlineData("58", "58")]
    public void Create_IcmpInIpv6Rule_BecomesIpv6Icmp(string given, string stored)
    {
        var rule = Create(Ingress(given, ethertype: "IPv6"));
        Assert.Equal(stored, rule.Protocol);
        Assert.Equal(58, rule.ProtocolNumber);
    }

    [Fact]
    public void Create_IcmpInIpv4Rule_StaysIcmp()
    {
        Assert.Equal("icmp", Create(Ingress("icmp")).Protocol);
    }

    [Theory]
    [InlineData("ipv6-icmp")]
    [InlineData("icmpv6")]
    [InlineData("58")]
    [InlineData("ipv6-frag")]
    [InlineData("43")]
    public void Create_Ipv6OnlyProtocolInIpv4Rule_Returns400(string protocol)
    {
        Refused(400, "SecurityGroupEthertypeConflictWithProtocol", Ingress(protocol));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    [InlineData("sctp")]
    [InlineData("6")]
    public void Create_FullPortRange_StoredAsNoRange(string protocol)
    {
        var rule = Create(Ingress(protocol, 1, 65535));
        Assert.Null(rule.PortRangeMin);
        Assert.Null(rule.PortRangeMax);
    }

    [Fact]
    public void Create_PortRange_Kept()
    {
        var rule = Create(Ingress("tcp", 1000, 2000));
        Assert.Equal((1000, 2000), (rule.PortRangeMin, rule.PortRangeMax));
        var single = Create(Ingress("udp", 53, 53));
        Assert.Equal((53, 53), (single.PortRangeMin, single.PortRangeMax));
    }

    [Fact]
    public void Create_PortRangeMinGreaterThanMax_Returns400()
    {
        Refused(400, "SecurityGroupInvalidPortRange", Ingress("tcp", 2000, 1000));
    }

    [Theory]
    [InlineData(null, 80)]
    [InlineData(80, null)]
    public void Create_PortRangeHalfGiven_Returns400(int? min, int? max)
    {
        Refused(400, "SecurityGroupInvalidPortRange", Ingress("tcp", min, max));
    }

    [Theory]
    [InlineData(0, 80)]
    [InlineData(1, 0)]
    public void Create_PortZero_Returns400InvalidPortValue(int min, int max)
    {
        var ex = Refused(400, "SecurityGroupInvalidPortValue", Ingress("tcp", min, max));
        Assert.Equal("Invalid value for port 0", ex.Message);
    }

    [Theory]
    [InlineData(70000, 70000)]
    [InlineData(-1, 10)]
    public void Create_PortOutOfRange_Returns400(int min, int max)
    {
        Refused(400, "SecurityGroupInvalidPortValue", Ingress("tcp", min, max));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("any")]
    [InlineData("0")]
    public void Create_PortsWithoutProtocol_Returns400ProtocolRequired(string? protocol)
    {
        Refused(400, "SecurityGroupProtocolRequiredWithPorts", Ingress(protocol, 22, 22));
    }

    [Theory]
    [InlineData("gre")]
    [InlineData("esp")]
    [InlineData("47")]
    [InlineData("111")]
    public void Create_PortsOnProtocolWithoutPorts_Returns400(string protocol)
    {
        Refused(400, "SecurityGroupInvalidProtocolForPort", Ingress(protocol, 22, 22));
    }

    [Fact]
    public void Create_IcmpTypeAndCode_KeptInRangeFields()
    {
        var rule = Create(Ingress("icmp", 3, 4));
        Assert.Equal((3, 4), (rule.PortRangeMin, rule.PortRangeMax));
        Assert.True(rule.IsIcmp);
        var typeOnly = Create(Ingress("icmp", 8));
        Assert.Equal((8, (int?)null), (typeOnly.PortRangeMin, typeOnly.PortRangeMax));
        var echoReply = Create(Ingress("icmp", 0, 0));
        Assert.Equal((0, 0), (echoReply.PortRangeMin, echoReply.PortRangeMax));
    }

    [Theory]
    [InlineData("icmp", "IPv4")]
    [InlineData("ipv6-icmp", "IPv6")]
    public void Create_IcmpCodeWithoutType_Returns400(string protocol, string ethertype)
    {
        var ex = Refused(400, "SecurityGroupMissingIcmpType", Ingress(protocol, null, 0, ethertype: ethertype));
        Assert.Contains("ICMP code (port-range-max) 0 is provided", ex.Message);
    }

    [Theory]
    [InlineData(256, null, "type")]
    [InlineData(8, 256, "code")]
    public void Create_IcmpValueAbove255_Returns400(int type, int? code, string field)
    {
        var ex = Refused(400, "SecurityGroupInvalidIcmpValue", Ingress("icmp", type, code));
        Assert.Contains($"ICMP {field}", ex.Message);
    }

    [Theory]
    [InlineData("10.0.0.34/24", "IPv4", "10.0.0.34/24", "10.0.0.0/24")]
    [InlineData("10.0.0.1", "IPv4", "10.0.0.1/32", "10.0.0.1/32")]
    [InlineData("0.0.0.0/0", "IPv4", "0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:DB8::1/64", "IPv6", "2001:db8::1/64", "2001:db8::/64")]
    [InlineData("2001:db8::1", "IPv6", "2001:db8::1/128", "2001:db8::1/128")]
    [InlineData("::/0", "IPv6", "::/0", "::/0")]
    public void Create_RemotePrefix_KeptAsGivenWithNormalizedCidr(string given, string ethertype, string stored, string normalized)
    {
        var rule = Create(Ingress(prefix: given, ethertype: ethertype));
        Assert.Equal(stored, rule.RemoteIpPrefix.ToString());
        Assert.Equal(normalized, rule.NormalizedCidr.ToString());
    }

    [Fact]
    public void Create_NoPrefix_HasNoNormalizedCidr()
    {
        var rule = Create(Ingress("tcp", 22, 22));
        Assert.Null(rule.RemoteIpPrefix);
        Assert.Null(rule.NormalizedCidr);
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("abc")]
    [InlineData("10.1/8")]
    [InlineData("10.0.0.1/")]
    [InlineData("10.0.0.256/24")]
    [InlineData("2001:db8::/129")]
    [InlineData("fe80::1%eth0/64")]
    public void Create_InvalidCidr_Returns400(string prefix)
    {
        var ex = Refused(400, "InvalidCIDR", Ingress(prefix: prefix));
        Assert.Equal($"Invalid CIDR {prefix} given as IP prefix.", ex.Message);
    }

    [Theory]
    [InlineData("IPv4", "2001:db8::/32")]
    [InlineData("IPv6", "10.0.0.0/8")]
    public void Create_PrefixFamilyNotEthertype_Returns400(string ethertype, string prefix)
    {
        var ex = Refused(400, "SecurityGroupRuleParameterConflict", Ingress(prefix: prefix, ethertype: ethertype));
        Assert.Equal($"Conflicting value ethertype {ethertype} for CIDR {prefix}", ex.Message);
    }

    [Fact]
    public void Create_BothRemotes_Returns400()
    {
        Refused(400, "SecurityGroupMultipleRemoteEntites", Ingress(prefix: "10.0.0.0/8", remoteGroup: _group));
    }

    [Fact]
    public void Create_RemoteGroup_Kept()
    {
        var rule = Create(Ingress("tcp", 5432, 5432, remoteGroup: _group));
        Assert.Equal(_group, rule.RemoteGroupId);
    }

    [Fact]
    public void Create_UnknownRemoteGroup_Returns404()
    {
        var unknown = Guid.NewGuid();
        var ex = Refused(404, "SecurityGroupNotFound", Ingress(remoteGroup: unknown));
        Assert.Equal($"Security group {unknown} does not exist", ex.Message);
    }

    [Fact]
    public void Create_UnknownGroup_Returns404()
    {
        Refused(404, "SecurityGroupNotFound", new SecurityGroupRuleBody(Guid.NewGuid(), "ingress"));
    }

    [Fact]
    public void Create_OtherProjectsGroupAsNonAdmin_Returns404()
    {
        var other = Given.Context("p2", admin: false);
        Given.Refused(404, "SecurityGroupNotFound", () => SecurityGroupRuleOperations.Create(_model, Ingress("tcp", 22, 22), other));
    }

    [Theory]
    [InlineData("in")]
    [InlineData("Ingress")]
    [InlineData("")]
    public void Create_InvalidDirection_Returns400(string direction)
    {
        var ex = Refused(400, "HTTPBadRequest", new SecurityGroupRuleBody(_group, direction));
        Assert.Equal($"Invalid input for direction. Reason: '{direction}' is not in ['ingress', 'egress'].", ex.Message);
    }

    [Fact]
    public void Create_MissingDirection_Returns400()
    {
        var ex = Refused(400, "HTTPBadRequest", new SecurityGroupRuleBody(_group));
        Assert.Contains("Required attribute 'direction' not specified", ex.Message);
    }

    [Theory]
    [InlineData("IPv5")]
    [InlineData("ip")]
    public void Create_InvalidEthertype_Returns400(string ethertype)
    {
        var ex = Refused(400, "SecurityGroupRuleInvalidEtherType", new SecurityGroupRuleBody(_group, "ingress", ethertype));
        Assert.Equal($"Security group rule for ethertype '{ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].", ex.Message);
    }

    [Theory]
    [InlineData("sideways", null, null, null, null, "HTTPBadRequest")]
    [InlineData("ingress", "IPv5", null, null, null, "SecurityGroupRuleInvalidEtherType")]
    [InlineData("ingress", null, "tcp", 90, null, "SecurityGroupInvalidPortRange")]
    [InlineData("ingress", "IPv6", null, null, "198.18.0.0/15", "SecurityGroupRuleParameterConflict")]
    [InlineData("ingress", null, null, null, "198.18.0.0/33", "InvalidCIDR")]
    public void Create_BadRuleForAnUnknownGroup_IsTheRules400(string direction, string? ethertype, string? protocol, int? min, string? prefix, string type)
    {
        // Neutron validates the rule before it looks its group up.
        Refused(400, type, new SecurityGroupRuleBody(Guid.NewGuid(), direction, ethertype, protocol, min, min is null ? null : 80, prefix));
    }

    [Fact]
    public void Create_GoodRuleForAnUnknownGroup_Is404()
    {
        Refused(404, "SecurityGroupNotFound", new SecurityGroupRuleBody(Guid.NewGuid(), "ingress"));
    }

    [Theory]
    [InlineData(null, Ethertype.IPv4)]
    [InlineData("ipv4", Ethertype.IPv4)]
    [InlineData("ipv6", Ethertype.IPv6)]
    [InlineData("IPV6", Ethertype.IPv6)]
    public void Create_Ethertype_CaseInsensitiveDefaultIpv4(string? given, Ethertype expected)
    {
        Assert.Equal(expected, Create(new SecurityGroupRuleBody(_group, "ingress", given, "tcp", 22, 22)).Ethertype);
    }

    [Fact]
    public void Create_SameRuleTwice_Returns409NamingTheExistingRule()
    {
        var first = SecurityGroupRuleOperations.Create(_model, Ingress("tcp", 22, 22), _context);
        var ex = Given.Refused(409, "SecurityGroupRuleExists", () => SecurityGroupRuleOperations.Create(first.Model, Ingress("tcp", 22, 22), _context));
        Assert.Equal($"Security group rule already exists. Rule id is {first.Value.Id}.", ex.Message);
    }

    [Theory]
    [InlineData("tcp", null, "6", null)]
    [InlineData("tcp", "10.0.0.1/24", "tcp", "10.0.0.0/24")]
    [InlineData(null, "0.0.0.0/0", null, null)]
    [InlineData("any", null, "0", "0.0.0.0/0")]
    public void Create_EquivalentRule_Returns409(string? protocol1, string? prefix1, string? protocol2, string? prefix2)
    {
        int? port1 = protocol1 == "tcp" ? 22 : null;
        int? port2 = protocol2 is "tcp" or "6" ? 22 : null;
        var first = SecurityGroupRuleOperations.Create(_model, Ingress(protocol1, port1, port1, prefix1), _context);
        Given.Refused(409, "SecurityGroupRuleExists", () => SecurityGroupRuleOperations.Create(first.Model, Ingress(protocol2, port2, port2, prefix2), _context));
    }

    [Fact]
    public void Create_EgressAnywhere_DuplicatesTheGroupsDefaultEgressRule()
    {
        var defaultEgress = _model.SecurityGroups[_group].Rules.Single(r => r.Direction == RuleDirection.Egress && r.Ethertype == Ethertype.IPv4);
        var ex = Given.Refused(409, "SecurityGroupRuleExists", () =>
            SecurityGroupRuleOperations.Create(_model, new SecurityGroupRuleBody(_group, "egress", RemoteIpPrefix: "0.0.0.0/0"), _context));
        Assert.Contains(defaultEgress.Id.ToString(), ex.Message);
    }

    [Fact]
    public void Create_DifferentPrefix_IsNotADuplicate()
    {
        var first = SecurityGroupRuleOperations.Create(_model, Ingress("tcp", 22, 22, "10.0.0.0/24"), _context);
        var second = SecurityGroupRuleOperations.Create(first.Model, Ingress("tcp", 22, 22, "10.0.1.0/24"), _context);
        Assert.Equal(4, second.Model.SecurityGroups[_group].Rules.Count);
    }

    [Fact]
    public void Create_Rule_StampsIdsTimeAndGroupRevision()
    {
        var change = SecurityGroupRuleOperations.Create(_model, Ingress("tcp", 22, 22), _context);
        Assert.NotEqual(Guid.Empty, change.Value.Id);
        Assert.Equal(Given.Time, change.Value.CreatedAt);
        Assert.Equal(_model.SecurityGroups[_group].ProjectId, change.Value.ProjectId);
        var group = change.Model.SecurityGroups[_group];
        Assert.Equal(_model.SecurityGroups[_group].RevisionNumber + 1, group.RevisionNumber);
        Assert.Equal(change.Value, group.Rules[^1]);
        Assert.Equal(change.Value, change.Model.FindRule(change.Value.Id));
    }

    [Fact]
    public void Create_Refused_LeavesTheInputModelUnchanged()
    {
        var before = _model.SecurityGroups[_group];
        Assert.Throws<NeutronException>(() => SecurityGroupRuleOperations.Create(_model, Ingress("tcp", 9, 1), _context));
        Assert.Same(before, _model.SecurityGroups[_group]);
    }

    private SecurityGroupRuleBody[] TenRules() =>
        Enumerable.Range(1, 10).Select(i => Ingress("tcp", 1000 + i, 1000 + i)).ToArray();

    [Fact]
    public void CreateBulk_TenRules_AddsAllAndBumpsRevisionOnce()
    {
        var change = SecurityGroupRuleOperations.CreateBulk(_model, TenRules(), _context);
        Assert.Equal(10, change.Value.Count);
        Assert.Equal(12, change.Model.SecurityGroups[_group].Rules.Count);
        Assert.Equal(_model.SecurityGroups[_group].RevisionNumber + 1, change.Model.SecurityGroups[_group].RevisionNumber);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(9)]
    public void CreateBulk_OneBadRuleInTen_ChangesNothing(int bad)
    {
        var rules = TenRules();
        rules[bad] = Ingress("tcp", 5000, 4000);
        var snapshot = _model;
        Given.Refused(400, "SecurityGroupInvalidPortRange", () => SecurityGroupRuleOperations.CreateBulk(_model, rules, _context));
        Assert.Same(snapshot, _model);
        Assert.Equal(2, _model.SecurityGroups[_group].Rules.Count);
    }

    [Fact]
    public void CreateBulk_OneRuleDuplicatingAnExistingRule_ChangesNothing()
    {
        var first = SecurityGroupRuleOperations.Create(_model, Ingress("tcp", 1005, 1005), _context);
        var ex = Given.Refused(409, "SecurityGroupRuleExists", () => SecurityGroupRuleOperations.CreateBulk(first.Model, TenRules(), _context));
        Assert.Contains(first.Value.Id.ToString(), ex.Message);
        Assert.Equal(3, first.Model.SecurityGroups[_group].Rules.Count);
    }

    [Fact]
    public void CreateBulk_SameRuleTwiceInTheRequest_Returns409()
    {
        Given.Refused(409, "DuplicateSecurityGroupRuleInPost", () =>
            SecurityGroupRuleOperations.CreateBulk(_model, [Ingress("tcp", 22, 22), Ingress("6", 22, 22)], _context));
    }

    [Fact]
    public void CreateBulk_TwoGroups_Returns400()
    {
        var other = Given.Group(_model, _context, "other");
        Given.Refused(400, "SecurityGroupNotSingleGroupRules", () =>
            SecurityGroupRuleOperations.CreateBulk(other.Model, [Ingress("tcp", 22, 22), Ingress("tcp", 22, 22) with { SecurityGroupId = other.Value.Id }], _context));
    }

    [Fact]
    public void CreateBulk_TwoProjects_Returns400()
    {
        Given.Refused(400, "SecurityGroupRulesNotSingleTenant", () =>
            SecurityGroupRuleOperations.CreateBulk(_model, [Ingress("tcp", 22, 22) with { ProjectId = "a" }, Ingress("tcp", 23, 23) with { ProjectId = "b" }], _context));
    }

    [Fact]
    public void Delete_Rule_RemovesItAndBumpsTheGroupRevision()
    {
        var created = SecurityGroupRuleOperations.Create(_model, Ingress("tcp", 22, 22), _context);
        var model = SecurityGroupRuleOperations.Delete(created.Model, created.Value.Id, _context);
        Assert.Null(model.FindRule(created.Value.Id));
        Assert.Equal(created.Model.SecurityGroups[_group].RevisionNumber + 1, model.SecurityGroups[_group].RevisionNumber);
    }

    [Fact]
    public void Delete_UnknownRule_Returns404()
    {
        var id = Guid.NewGuid();
        var ex = Given.Refused(404, "SecurityGroupRuleNotFound", () => SecurityGroupRuleOperations.Delete(_model, id, _context));
        Assert.Equal($"Security group rule {id} does not exist", ex.Message);
    }
}
