using Microsoft.Data.Sqlite;
using VSwitch.Control.Model;
using VSwitch.Control.Persistence;

namespace VSwitch.Control.Tests.Persistence;

public sealed class NetworkLogStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vswitch-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SwitchModel WithLogs(SwitchModel model, OperationContext context)
    {
        var group = model.SecurityGroups.Values.First(g => g.Name == "g");
        var port = model.Ports.Values.First();
        var one = NetworkLogOperations.Create(model, new NetworkLogBody("one", "d", ResourceType: "security_group", ResourceId: group.Id, Event: "DROP"), context);
        var two = NetworkLogOperations.Create(one.Model, new NetworkLogBody("two", ResourceType: "security_group", TargetId: port.Id, Enabled: false), context);
        return NetworkLogOperations.Update(two.Model, two.Value.Id, new NetworkLogBody(Description: "x"), context).Model;
    }

    private static SwitchModel Base(OperationContext context)
    {
        var (model, net, group) = Given.NetworkAndGroup(context);
        return PortOperations.Create(model, new PortBody("p", net, SecurityGroups: [group]), context).Model;
    }

    [Fact]
    public void Commit_Logs_LoadBackEqual_AndDeletesAreWritten()
    {
        var context = Given.Context();
        var model = WithLogs(Base(context), context);
        using (var store = StateStore.Open(_dir))
        {
            store.Commit(SwitchModel.Empty, model);
        }
        using var reopened = StateStore.Open(_dir);
        var loaded = reopened.Load();
        Assert.Equal(model.Logs, loaded.Logs);
        var first = model.Logs.Values.First(l => l.Name == "one");
        var next = NetworkLogOperations.Delete(model, first.Id, context);
        reopened.Commit(model, next);
        Assert.Equal(next.Logs, reopened.Load().Logs);
    }

    [Fact]
    public void Open_Version1Database_UpgradesAndKeepsObjects()
    {
        var path = Path.Combine(_dir, StateStore.FileName);
        // A database as schema version 1 wrote it (before network logs), with one network row.
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE networks (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE ports (id TEXT PRIMARY KEY, network_id TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX ports_network ON ports (network_id);
                CREATE TABLE security_groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                CREATE TABLE security_group_rules (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                    security_group_id TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id);
                INSERT INTO meta VALUES ('initialized', '1');
                INSERT INTO networks VALUES ('00000000-0000-0000-0000-000000000001',
                    '{"id":"00000000-0000-0000-0000-000000000001","name":"old","admin_state_up":true,"project_id":"p1","revision_number":3}');
                """;
            cmd.ExecuteNonQuery();
        }
        using var store = StateStore.Open(_dir);
        Assert.Equal(StateStore.CurrentVersion, store.SchemaVersion);
        Assert.Equal(StateStore.CurrentVersion, store.SchemaVersion);
        var loaded = store.Load();
        Assert.Equal("old", Assert.Single(loaded.Networks.Values).Name);
        Assert.Empty(loaded.Logs);
        // Version 4 seeded the default rule templates with the rules groups were always made with.
        Assert.Equal(DefaultRuleTemplate.Shipped, loaded.DefaultRules.Values);

        var context = Given.Context();
        var group = Given.Group(loaded, context);
        var log = NetworkLogOperations.Create(group.Model, new NetworkLogBody(ResourceType: "security_group", ResourceId: group.Value.Id), context);
        store.Commit(loaded, log.Model);
        Assert.Equal(log.Model.Logs, store.Load().Logs);
    }
}
