namespace VSwitch.Cli;

/// <summary>
/// The command line is wrong in a way the parser cannot see (conflicting flags, a malformed <c>KEY=VALUE</c>, an unknown
/// column): exit status 2, as a parse error.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The request was well formed but cannot be done, found out on this side (nothing to unset): exit status 1, as an API refusal.</summary>
internal sealed class CommandException(string message) : Exception(message);
