using Microsoft.Data.Sqlite;
using VSwitch.Control.Model;

namespace VSwitch.Control.Persistence;

/// <summary>
/// The switch's durable desired state: every network, port, security group, rule and network log, in an embedded SQLite database
/// <c>state.db</c> in the state directory.
/// </summary>
/// <remarks>
/// <para><b>What.</b> <see cref="Commit"/> writes the difference between two models (objects added, changed and
/// removed, per table) in one transaction; <see cref="Load"/> reads the whole model back. The caller
/// (<see cref="ModelService"/>) commits every accepted change <i>before</i> the API answers, so an answered change
/// survives <c>kill -9</c> and power loss.</para>
/// <para><b>Durability.</b> WAL journal with <c>synchronous=FULL</c>: a commit returns after the WAL is fsynced. (WAL with
/// <c>NORMAL</c> would lose the last commits on power loss; <c>FULL</c> costs one fsync per change, a few milliseconds on
/// this class of disk, paid by API writes only.)</para>
/// <para><b>Schema.</b> A <c>schema_version</c> table holds one integer; <see cref="s_migrations"/>[i] moves version i to
/// i + 1, each in its own transaction with the version bump. Each object is a row with its id as primary key and a JSON
/// document (<see cref="ModelDocuments"/>); rules also carry their group and an autoincrement <c>seq</c> that keeps
/// Neutron's creation order. Version 2 added the <c>logs</c> table (network logs), version 3 the <c>quotas</c> table
/// (projects' quota overrides, keyed by project id), version 4 the <c>default_security_group_rules</c> table, seeded
/// with Neutron's four templates (so groups made after the upgrade get the rules they always got), version 5 the
/// <c>address_groups</c> table, version 6 the <c>rbac_policies</c> table, version 7 the <c>subnets</c> table, version 8 the <c>routers</c> table, version 9 the <c>floatingips</c> table; an older database is upgraded in place when it is opened. <c>meta</c> holds <c>initialized</c> (the first commit happened: an empty model is then a
/// real state, not a fresh directory) and <c>config_baseline</c> (the configuration file as last merged, see
/// <see cref="ModelService"/>).</para>
/// <para><b>Refusals.</b> A file that is not SQLite, fails <c>PRAGMA quick_check</c>, or has a schema version newer than
/// <see cref="CurrentVersion"/> raises <see cref="StateStoreException"/> before anything is written: the checks run before
/// the first statement that could write (even <c>journal_mode=WAL</c> writes the header), and the file is never
/// recreated.</para>
/// <para><b>Thread-safety.</b> One connection, used by one caller at a time: <see cref="ModelService"/> calls it under
/// its lock. Not safe for concurrent use on its own.</para>
/// </remarks>
public sealed class StateStore : IDisposable
{
    /// <summary>The file name inside the state directory.</summary>
    public const string FileName = "state.db";

    /// <summary>The schema version this code writes; a database with a higher one is refused.</summary>
    public static int CurrentVersion => s_migrations.Length;

    private static readonly string[] s_migrations =
    [
        // 0 -> 1: objects as JSON documents, keyed by id.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE networks (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
        CREATE TABLE ports (id TEXT PRIMARY KEY, network_id TEXT NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX ports_network ON ports (network_id);
        CREATE TABLE security_groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
        CREATE TABLE security_group_rules (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            security_group_id TEXT NOT NULL,
            doc TEXT NOT NULL);
        CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id);
        """,

        // 1 -> 2: network logs (security-group logging).
        """
        CREATE TABLE logs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
        """,

        // 2 -> 3: projects' quota overrides.
        """
        CREATE TABLE quotas (project_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
        """,

        // 3 -> 4: default security group rules, seeded with the rules groups were made with until then (Neutron's four).
        "CREATE TABLE default_security_group_rules (id TEXT PRIMARY KEY, doc TEXT NOT NULL);"
            + string.Concat(DefaultRuleTemplate.Shipped.Select(t =>
                $"INSERT INTO default_security_group_rules VALUES ('{t.Id}', '{ModelDocuments.Write(t).Replace("'", "''", StringComparison.Ordinal)}');")),

        // 4 -> 5: address groups.
        "CREATE TABLE address_groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",

        // 5 -> 6: RBAC policies (security groups shared with other projects).
        "CREATE TABLE rbac_policies (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",

        // 6 -> 7: subnets.
        "CREATE TABLE subnets (id TEXT PRIMARY KEY, network_id TEXT NOT NULL, doc TEXT NOT NULL);",

        // 7 -> 8: routers (their interfaces are ports).
        "CREATE TABLE routers (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",

        // 8 -> 9: floating IPs.
        "CREATE TABLE floatingips (id TEXT PRIMARY KEY, doc TEXT NOT NULL);",
    ];

    private readonly SqliteConnection _connection;

    private StateStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>True once a model has been committed (even an empty one).</summary>
    public bool IsInitialized => ReadMeta("initialized") is not null;

    /// <summary>
    /// Opens (creating the directory and the database if missing) and migrates the state in <paramref name="directory"/>.
    /// </summary>
    /// <exception cref="StateStoreException">The database is corrupt, not SQLite, or newer than this code.</exception>
    public static StateStore Open(string directory)
    {
        string path;
        try
        {
            Directory.CreateDirectory(directory);
            path = System.IO.Path.Combine(System.IO.Path.GetFullPath(directory), FileName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateStoreException($"state directory {directory} cannot be used: {ex.Message}", ex);
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Check(connection, path);
            Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;");
            Migrate(connection, path);
            return new StateStore(path, connection);
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new StateStoreException(
                $"state database {path} cannot be opened ({ex.Message}); it was left untouched: restore a backup or move it away to start empty", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The version the database is at (0 for a new file).</summary>
    public int SchemaVersion => ReadVersion(_connection);

    /// <summary>Reads the whole model.</summary>
    /// <exception cref="StateStoreException">A row cannot be read back (a document damaged outside the switch).</exception>
    public SwitchModel Load()
    {
        try
        {
            var networks = ReadDocs("SELECT doc FROM networks").Select(ModelDocuments.ReadNetwork).ToList();
            var ports = ReadDocs("SELECT doc FROM ports").Select(ModelDocuments.ReadPort).ToList();
            var groups = ReadDocs("SELECT doc FROM security_groups");
            var rules = ReadDocs("SELECT doc FROM security_group_rules ORDER BY seq").Select(ModelDocuments.ReadRule).ToList();
            var logs = ReadDocs("SELECT doc FROM logs").Select(ModelDocuments.ReadLog).ToList();
            var quotas = ReadDocs("SELECT doc FROM quotas").Select(ModelDocuments.ReadQuota).ToList();
            var templates = ReadDocs("SELECT doc FROM default_security_group_rules").Select(ModelDocuments.ReadTemplate).ToList();
            var addressGroups = ReadDocs("SELECT doc FROM address_groups").Select(ModelDocuments.ReadAddressGroup).ToList();
            var rbac = ReadDocs("SELECT doc FROM rbac_policies").Select(ModelDocuments.ReadRbac).ToList();
            var subnets = ReadDocs("SELECT doc FROM subnets").Select(ModelDocuments.ReadSubnet).ToList();
            var routers = ReadDocs("SELECT doc FROM routers").Select(ModelDocuments.ReadRouter).ToList();
            var floatingIps = ReadDocs("SELECT doc FROM floatingips").Select(ModelDocuments.ReadFloatingIp).ToList();
            return ModelDocuments.Assemble(networks, ports, groups, rules, logs, quotas, templates, addressGroups, rbac, subnets, routers, floatingIps);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or NeutronException)
        {
            throw new StateStoreException($"state database {Path} holds an object that cannot be read ({ex.Message}); it was left untouched", ex);
        }
    }

    /// <summary>The configuration-file model as last merged, or null if none was recorded.</summary>
    public SwitchModel? LoadConfigBaseline() => ReadMeta("config_baseline") is { } json ? ModelDocuments.ReadModel(json) : null;

    /// <summary>
    /// Writes what changed from <paramref name="before"/> to <paramref name="after"/> (and, if given, the new
    /// configuration baseline) in one durable transaction.
    /// </summary>
    public void Commit(SwitchModel before, SwitchModel after, SwitchModel? configBaseline = null)
    {
        using var tx = _connection.BeginTransaction();
        Diff(before.Networks, after.Networks,
            n => Upsert(tx, "INSERT INTO networks (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                n.Id, ModelDocuments.Write(n)),
            id => Delete(tx, "networks", id));
        Diff(before.Subnets, after.Subnets,
            s => Upsert(tx, "INSERT INTO subnets (id, network_id, doc) VALUES ($id, $extra, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                s.Id, ModelDocuments.Write(s), s.NetworkId.ToString()),
            id => Delete(tx, "subnets", id));
        Diff(before.Routers, after.Routers,
            r => Upsert(tx, "INSERT INTO routers (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                r.Id, ModelDocuments.Write(r)),
            id => Delete(tx, "routers", id));
        Diff(before.FloatingIps, after.FloatingIps,
            f => Upsert(tx, "INSERT INTO floatingips (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                f.Id, ModelDocuments.Write(f)),
            id => Delete(tx, "floatingips", id));
        Diff(before.Ports, after.Ports,
            p => Upsert(tx, "INSERT INTO ports (id, network_id, doc) VALUES ($id, $extra, $doc) ON CONFLICT (id) DO UPDATE SET network_id = excluded.network_id, doc = excluded.doc",
                p.Id, ModelDocuments.Write(p), p.NetworkId.ToString()),
            id => Delete(tx, "ports", id));
        Diff(before.SecurityGroups, after.SecurityGroups,
            g => Upsert(tx, "INSERT INTO security_groups (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                g.Id, ModelDocuments.Write(g)),
            id => Delete(tx, "security_groups", id));
        // Rules of the groups that changed only (the others are the same objects): a rule create costs the same
        // whatever the number of rules.
        ModelDiff.ByReference(before.SecurityGroups, after.SecurityGroups, (_, old, now) =>
            Diff(RulesOf(old), RulesOf(now),
                r => Upsert(tx, "INSERT INTO security_group_rules (id, security_group_id, doc) VALUES ($id, $extra, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                    r.Id, ModelDocuments.Write(r), r.SecurityGroupId.ToString()),
                id => Delete(tx, "security_group_rules", id)));
        Diff(before.Logs, after.Logs,
            l => Upsert(tx, "INSERT INTO logs (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                l.Id, ModelDocuments.Write(l)),
            id => Delete(tx, "logs", id));
        Diff(before.Quotas, after.Quotas,
            q => Upsert(tx, "INSERT INTO quotas (project_id, doc) VALUES ($id, $doc) ON CONFLICT (project_id) DO UPDATE SET doc = excluded.doc",
                q.ProjectId.Value, ModelDocuments.Write(q)),
            project => Delete(tx, "quotas", project.Value, "project_id"));
        Diff(before.AddressGroups, after.AddressGroups,
            g => Upsert(tx, "INSERT INTO address_groups (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                g.Id, ModelDocuments.Write(g)),
            id => Delete(tx, "address_groups", id));
        Diff(before.RbacPolicies, after.RbacPolicies,
            p => Upsert(tx, "INSERT INTO rbac_policies (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                p.Id, ModelDocuments.Write(p)),
            id => Delete(tx, "rbac_policies", id));
        Diff(before.DefaultRules, after.DefaultRules,
            t => Upsert(tx, "INSERT INTO default_security_group_rules (id, doc) VALUES ($id, $doc) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
                t.Id, ModelDocuments.Write(t)),
            id => Delete(tx, "default_security_group_rules", id));
        WriteMeta(tx, "initialized", "1");
        if (configBaseline is not null)
        {
            WriteMeta(tx, "config_baseline", ModelDocuments.WriteModel(configBaseline));
        }
        tx.Commit();
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>A group's rules by id, in model order (the order new ones are inserted, and so their <c>seq</c>).</summary>
    private static Dictionary<Guid, SecurityGroupRule> RulesOf(SecurityGroup? group)
    {
        var rules = new Dictionary<Guid, SecurityGroupRule>();
        foreach (var rule in group?.Rules ?? EquatableArray<SecurityGroupRule>.Empty)
        {
            rules[rule.Id] = rule;
        }
        return rules;
    }

    private static void Diff<TKey, T>(IReadOnlyDictionary<TKey, T> before, IReadOnlyDictionary<TKey, T> after, Action<T> upsert, Action<TKey> delete)
        where T : class
    {
        if (ReferenceEquals(before, after))
        {
            return;
        }
        foreach (var id in before.Keys)
        {
            if (!after.ContainsKey(id))
            {
                delete(id);
            }
        }
        foreach (var (id, value) in after)
        {
            if (!before.TryGetValue(id, out var old) || (!ReferenceEquals(old, value) && !old.Equals(value)))
            {
                upsert(value);
            }
        }
    }

    private void Upsert(SqliteTransaction tx, string sql, Guid id, string doc, string? extra = null) => Upsert(tx, sql, id.ToString(), doc, extra);

    private void Upsert(SqliteTransaction tx, string sql, string id, string doc, string? extra = null)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$doc", doc);
        if (extra is not null)
        {
            cmd.Parameters.AddWithValue("$extra", extra);
        }
        cmd.ExecuteNonQuery();
    }

    private void Delete(SqliteTransaction tx, string table, Guid id) => Delete(tx, table, id.ToString(), "id");

    private void Delete(SqliteTransaction tx, string table, string id, string column)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"DELETE FROM {table} WHERE {column} = $id";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }

    private string? ReadMeta(string key)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $key";
        cmd.Parameters.AddWithValue("$key", key);
        return cmd.ExecuteScalar() as string;
    }

    private void WriteMeta(SqliteTransaction tx, string key, string value)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.AddWithValue("$value", value);
        cmd.ExecuteNonQuery();
    }

    private List<string> ReadDocs(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var docs = new List<string>();
        while (reader.Read())
        {
            docs.Add(reader.GetString(0));
        }
        return docs;
    }

    /// <summary>Read-only checks: a SQLite file, structurally sound, and a version this code knows.</summary>
    private static void Check(SqliteConnection connection, string path)
    {
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "PRAGMA quick_check";
            var result = cmd.ExecuteScalar() as string;
            if (result != "ok")
            {
                throw new StateStoreException($"state database {path} is corrupt (quick_check: {result}); it was left untouched: restore a backup or move it away to start empty");
            }
        }
        var version = ReadVersion(connection);
        if (version > CurrentVersion)
        {
            throw new StateStoreException(
                $"state database {path} has schema version {version}, newer than this vswitchd knows ({CurrentVersion}); it was left untouched: run a newer vswitchd");
        }
    }

    private static int ReadVersion(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
        if (Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }
        cmd.CommandText = "SELECT version FROM schema_version";
        return cmd.ExecuteScalar() is long v ? (int)v : 0;
    }

    private static void Migrate(SqliteConnection connection, string path)
    {
        for (var version = ReadVersion(connection); version < CurrentVersion; version++)
        {
            using var tx = connection.BeginTransaction();
            using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = version == 0
                ? "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL); DELETE FROM schema_version; INSERT INTO schema_version VALUES (0);"
                : "";
            if (cmd.CommandText.Length > 0)
            {
                cmd.ExecuteNonQuery();
            }
            cmd.CommandText = s_migrations[version] + $"; UPDATE schema_version SET version = {version + 1};";
            try
            {
                cmd.ExecuteNonQuery();
            }
            catch (SqliteException ex)
            {
                throw new StateStoreException($"state database {path}: migration to schema version {version + 1} failed: {ex.Message}", ex);
            }
            tx.Commit();
        }
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
