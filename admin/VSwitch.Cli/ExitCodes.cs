namespace VSwitch.Cli;

/// <summary>vswitchctl's exit statuses: scripts tell a refused request from a mistyped command.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The API refused the request, a name was unknown or ambiguous, or the daemon could not be reached.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong: unknown verb or flag, missing argument, conflicting flags.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl-C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}
