using VSwitch.Admin.Client;

namespace VSwitch.Cli.Commands;

/// <summary><c>delete A B C</c>: every verb's delete takes several names or ids.</summary>
internal static class BulkDelete
{
    /// <summary>
    /// Deletes each named resource, going on after a failure as the OpenStack CLI does, and fails with one line that
    /// counts the failures and quotes the first.
    /// </summary>
    public static async Task RunAsync(IReadOnlyList<string> names, string kind, Func<string, Task> delete)
    {
        var failures = new List<string>();
        foreach (var name in names)
        {
            try
            {
                await delete(name);
            }
            catch (VSwitchClientException ex)
            {
                failures.Add(ex.Message);
            }
        }
        if (failures.Count == 1 && names.Count == 1)
        {
            throw new CommandException(failures[0]);
        }
        if (failures.Count > 0)
        {
            throw new CommandException($"{failures.Count} of {names.Count} {kind}s failed to delete: {failures[0]}");
        }
    }
}
