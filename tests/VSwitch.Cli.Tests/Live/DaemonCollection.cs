namespace VSwitch.Cli.Tests.Live;

/// <summary>Tests that start real daemons run one at a time: the machine has two cores shared with other builds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DaemonCollection
{
    public const string Name = "vswitchd";
}
