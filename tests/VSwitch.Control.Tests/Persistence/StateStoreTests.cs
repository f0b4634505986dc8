using Microsoft.Data.Sqlite;
using VSwitch.Control.Model;
using VSwitch.Control.Persistence;

namespace VSwitch.Control.Tests.Persistence;

public sealed class StateStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vswitch-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DbPath => Path.Combine(_dir, StateStore.FileName);

    /// <summary>A model that uses every field: networks, ports with addresses, pairs, groups, rules of every kind.</summary>
    private static SwitchModel FullModel()
    {
        var context = Given.Context(presets: ProjectDefaults.ShippedPresets);
        var net = NetworkOperations.Create(SwitchModel.Empty, new NetworkBody("net", AdminStateUp: false, Description: "d", Mtu: 9000, VlanTransparent: true), context);
        var group = SecurityGroupOperations.Create(net.Model, new SecurityGroupBody("g", "group", Stateful: true), context);
        var rules = SecurityGroupRuleOperations.CreateBulk(group.Model,
        [
            new SecurityGroupRuleBody(group.Value.Id, "ingress", "IPv4", "tcp", 22, 23, "198.18.0.7/24", Description: "ssh"),
            new SecurityGroupRuleBody(group.Value.Id, "ingress", "IPv6", "icmp", 128, 0, "2001:db8::/64"),
            new SecurityGroupRuleBody(group.Value.Id, "egress", "IPv4", "17", RemoteGroupId: group.Value.Id),
        ], context);
        var port = PortOperations.Create(rules.Model, new PortBody("p", net.Value.Id, "tap:web0@vm-web", "fa:16:3e:00:00:01", false,
            ["198.18.0.5", "2001:db8::5"], [new AllowedAddressPairBody("198.18.1.0/24"), new AllowedAddressPairBody("198.18.2.1", "02:00:00:00:00:02")],
            [group.Value.Id], true, "port", "p1"), context);
        var bare = PortOperations.Create(port.Model, new PortBody("q", net.Value.Id, PortSecurityEnabled: false), context);
        return PortOperations.Update(bare.Model, bare.Value.Id, new PortBody(Name: "q2"), context).Model;
    }

    [Fact]
    public void Commit_FullModel_LoadsBackEqual()
    {
        var model = FullModel();
        using (var store = StateStore.Open(_dir))
        {
            Assert.False(store.IsInitialized);
            store.Commit(SwitchModel.Empty, model);
        }
        using var reopened = StateStore.Open(_dir);
        Assert.True(reopened.IsInitialized);
        var loaded = reopened.Load();
        Assert.Equal(model.Networks, loaded.Networks);
        Assert.Equal(model.Ports, loaded.Ports);
        Assert.Equal(model.SecurityGroups, loaded.SecurityGroups);
    }

    [Fact]
    public void Commit_QuotaOverrides_LoadBackAndResetDeletesThem()
    {
        var context = Given.Context();
        var model = QuotaOperations.Update(SwitchModel.Empty, ProjectId.Parse("p1"), new Dictionary<string, int> { ["port"] = 3, ["security_group"] = -1 }, context).Model;
        model = QuotaOperations.Update(model, ProjectId.Parse("p2"), new Dictionary<string, int> { ["network"] = 0 }, context).Model;
        using (var store = StateStore.Open(_dir))
        {
            store.Commit(SwitchModel.Empty, model);
        }
        using var reopened = StateStore.Open(_dir);
        var loaded = reopened.Load();
        Assert.Equal(model.Quotas, loaded.Quotas);
        Assert.Equal(-1, loaded.Quotas[ProjectId.Parse("p1")].Overrides["security_group"]);
        var reset = QuotaOperations.Reset(loaded, ProjectId.Parse("p1"));
        reopened.Commit(loaded, reset);
        Assert.Equal([ProjectId.Parse("p2")], reopened.Load().Quotas.Keys);
    }

    [Fact]
    public void Commit_Diff_WritesRemovalsAndKeepsRuleOrder()
    {
        var model = FullModel();
        var context = Given.Context(presets: ProjectDefaults.ShippedPresets);
        using var store = StateStore.Open(_dir);
        store.Commit(SwitchModel.Empty, model);
        var port = model.Ports.Values.First(p => p.Name == "q2");
        var group = model.SecurityGroups.Values.First(g => g.Name == "g");
        var next = PortOperations.Delete(model, port.Id, context);
        next = SecurityGroupRuleOperations.Delete(next, group.Rules[2].Id, context);
        next = SecurityGroupRuleOperations.Create(next, new SecurityGroupRuleBody(group.Id, "ingress", Protocol: "udp", PortRangeMin: 53, PortRangeMax: 53), context).Model;
        store.Commit(model, next);
        var loaded = store.Load();
        Assert.Equal(next.Ports, loaded.Ports);
        Assert.Equal(next.SecurityGroups, loaded.SecurityGroups);
        Assert.Equal(next.SecurityGroups[group.Id].Rules.Select(r => r.Id), loaded.SecurityGroups[group.Id].Rules.Select(r => r.Id));
    }

    [Fact]
    public void Open_NewDirectory_MigratesToCurrentVersionWithBaseline()
    {
        using var store = StateStore.Open(Path.Combine(_dir, "sub"));
        Assert.Equal(StateStore.CurrentVersion, store.SchemaVersion);
        Assert.Null(store.LoadConfigBaseline());
        var model = FullModel();
        store.Commit(SwitchModel.Empty, SwitchModel.Empty, model);
        Assert.Equal(model.Ports, store.LoadConfigBaseline()!.Ports);
        Assert.True(store.IsInitialized);
        Assert.Empty(store.Load().Ports);
    }

    [Fact]
    public void Open_NewerSchemaVersion_IsRefusedAndFileUntouched()
    {
        StateStore.Open(_dir).Dispose();
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE schema_version SET version = 99; PRAGMA wal_checkpoint(TRUNCATE);";
            cmd.ExecuteNonQuery();
        }
        var before = File.ReadAllBytes(DbPath);
        var ex = Assert.Throws<StateStoreException>(() => StateStore.Open(_dir));
        Assert.Contains("schema version 99, newer than this vswitchd knows", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Open_NotADatabase_IsRefusedAndFileUntouched()
    {
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(DbPath, garbage);
        var ex = Assert.Throws<StateStoreException>(() => StateStore.Open(_dir));
        Assert.Contains(DbPath, ex.Message);
        Assert.Contains("left untouched", ex.Message);
        Assert.Equal(garbage, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Open_DamagedPages_IsRefusedAndFileUntouched()
    {
        using (var store = StateStore.Open(_dir))
        {
            var model = FullModel();
            store.Commit(SwitchModel.Empty, model);
        }
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;";
            cmd.ExecuteNonQuery();
        }
        var bytes = File.ReadAllBytes(DbPath);
        Assert.True(bytes.Length >= 3 * 4096);
        for (var i = 4096 + 100; i < bytes.Length; i += 13)
        {
            bytes[i] ^= 0x5A;
        }
        File.WriteAllBytes(DbPath, bytes);
        Assert.Throws<StateStoreException>(() => StateStore.Open(_dir));
        Assert.Equal(bytes, File.ReadAllBytes(DbPath));
    }
}
