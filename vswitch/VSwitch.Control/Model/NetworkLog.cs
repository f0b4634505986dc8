namespace VSwitch.Control.Model;

/// <summary>
/// A Neutron network log (<c>/v2.0/log/logs</c>, the <c>logging</c> extension): which security-group decisions of which
/// ports are written to the switch's security-group log.
/// </summary>
/// <remarks>
/// <para><b>Scope</b> (Neutron's <c>logapi/common/db_api.py</c>): with <see cref="TargetId"/> the log covers that port
/// (and, with <see cref="ResourceId"/> too, only while the port uses that group); with only <see cref="ResourceId"/>
/// every port that uses the group; with neither every port of the log's project with port security.
/// <see cref="NetworkLogOperations.LoggedPorts"/> resolves this.</para>
/// </remarks>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="Name">Free text.</param>
/// <param name="Description">Free text.</param>
/// <param name="ProjectId">The owning project.</param>
/// <param name="ResourceType">Always <c>security_group</c> (the only loggable resource here).</param>
/// <param name="ResourceId">The security group whose ports are logged, or null.</param>
/// <param name="TargetId">The port that is logged, or null.</param>
/// <param name="Event">Which decisions are logged.</param>
/// <param name="Enabled">False: the log exists but nothing is written for it.</param>
public sealed record NetworkLog(
    Guid Id,
    string Name,
    string Description,
    ProjectId ProjectId,
    string ResourceType,
    Guid? ResourceId,
    Guid? TargetId,
    NetworkLogEvent Event,
    bool Enabled)
{
    /// <summary>The only <c>resource_type</c> this switch logs.</summary>
    public const string SecurityGroupType = "security_group";

    /// <summary>Neutron's <c>revision_number</c>: bumped by every update.</summary>
    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>True if the log records allowed connections.</summary>
    public bool LogsAccept => Event is NetworkLogEvent.All or NetworkLogEvent.Accept;

    /// <summary>True if the log records dropped packets.</summary>
    public bool LogsDrop => Event is NetworkLogEvent.All or NetworkLogEvent.Drop;
}

/// <summary>Neutron's log <c>event</c>: <c>ACCEPT</c>, <c>DROP</c> or <c>ALL</c> (the default).</summary>
public enum NetworkLogEvent
{
    All,
    Accept,
    Drop,
}

/// <summary>Neutron's spelling of <see cref="NetworkLogEvent"/>.</summary>
public static class NetworkLogEvents
{
    /// <summary>The values in Neutron's order (<c>LOG_EVENTS</c>).</summary>
    public static readonly string[] Names = ["ACCEPT", "DROP", "ALL"];

    public static string ToNeutron(this NetworkLogEvent value) => value switch
    {
        NetworkLogEvent.Accept => "ACCEPT",
        NetworkLogEvent.Drop => "DROP",
        _ => "ALL",
    };

    /// <summary>Exactly <c>ACCEPT</c>, <c>DROP</c> or <c>ALL</c> (Neutron's <c>type:values</c> validator is case-sensitive).</summary>
    public static bool TryParse(string? text, out NetworkLogEvent value)
    {
        value = text switch
        {
            "ACCEPT" => NetworkLogEvent.Accept,
            "DROP" => NetworkLogEvent.Drop,
            _ => NetworkLogEvent.All,
        };
        return text is "ACCEPT" or "DROP" or "ALL";
    }
}
