namespace VSwitch.Cli.Output;

/// <summary><c>-f</c>: an aligned table for people, JSON for programs, bare values for shell scripts.</summary>
internal enum OutputFormat
{
    /// <summary>Aligned plain-text columns with a header line.</summary>
    Table,

    /// <summary>Indented JSON: an array of objects for a list, an object for one resource.</summary>
    Json,

    /// <summary>Values only: a list's row per line (separated by spaces), one resource's value per line.</summary>
    Value,
}
