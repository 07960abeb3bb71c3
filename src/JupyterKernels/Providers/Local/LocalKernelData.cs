using System.Globalization;
using System.Text;
using System.Text.Json;
using JupyterKernels.Connections;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// What the local provider persists of a kernel, beside what every kernel has (<see cref="KernelRecord"/>): the
/// provider alone reads and writes it, as <see cref="KernelRecord.ProviderData"/> (jupyter_client's provisioners do the
/// same with <c>get_provisioner_info</c> / <c>load_provisioner_info</c>). Holds the connection key: never printed
/// (<see cref="ToString"/>), stored only in the user-only store file.
/// </summary>
internal sealed record LocalKernelData
{
    /// <summary>The connection info JSON (the connection file's contents, including the key).</summary>
    public string? ConnectionInfoJson { get; init; }
    public string? ConnectionFile { get; init; }
    public int? Pid { get; init; }
    /// <summary>The process start time, to tell our kernel from a reused pid.</summary>
    public DateTimeOffset? ProcessStartTime { get; init; }
    /// <summary>Started by another Jupyter client and adopted from its connection file. No pid of ours: it is stopped by
    /// shutdown_request and verified by its heartbeat, never signalled.</summary>
    public bool Adopted { get; init; }
    /// <summary>Windows: the value of the kernel's interrupt event (JPY_INTERRUPT_EVENT) in the kernel's own handle table.</summary>
    public long? InterruptEvent { get; init; }
    /// <summary>How the kernel was launched (Start-Kernel's -WorkingDirectory and -Environment): every restart, from any
    /// process, launches the new process the same way. The environment may hold secrets: kept only in the user-only
    /// store, never printed.</summary>
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    /// <summary>What the kernel answers on which channel, learned once by the first client that could tell (null =
    /// not known yet). Kept across restarts: the same kernelspec runs the same kernel.</summary>
    public KernelChannelCapabilities? Channels { get; init; }

    // The JSON keys are the names of the kernels-table columns these values had up to schema 4: store migration 5
    // (Store/KernelStore.Migrations.cs) moved existing rows into this shape.
    private const string ConnectionInfoKey = "connection_info_json", ConnectionFileKey = "connection_file", PidKey = "pid",
        ProcessStartTimeKey = "process_start_time", AdoptedKey = "adopted", InterruptEventKey = "interrupt_event";

    private const string WorkingDirectoryKey = "working_directory", EnvironmentKey = "environment", ControlAnswersKey = "control_answers";

    /// <summary>The local data of <paramref name="record"/>; empty (all null) when it has none or is another provider's.</summary>
    public static LocalKernelData Of(KernelRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrEmpty(record.ProviderData)) return Empty;
        try
        {
            using var doc = JsonDocument.Parse(record.ProviderData);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Empty;
            return new LocalKernelData
            {
                ConnectionInfoJson = String(root, ConnectionInfoKey),
                ConnectionFile = String(root, ConnectionFileKey),
                Pid = root.TryGetProperty(PidKey, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var pid) ? pid : null,
                ProcessStartTime = String(root, ProcessStartTimeKey) is { } t
                    && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null,
                Adopted = root.TryGetProperty(AdoptedKey, out var a) && a.ValueKind == JsonValueKind.True,
                InterruptEvent = root.TryGetProperty(InterruptEventKey, out var ie) && ie.ValueKind == JsonValueKind.Number && ie.TryGetInt64(out var handle) ? handle : null,
                WorkingDirectory = String(root, WorkingDirectoryKey),
                Environment = root.TryGetProperty(EnvironmentKey, out var e) && e.ValueKind == JsonValueKind.Object
                    ? e.EnumerateObject().Where(v => v.Value.ValueKind == JsonValueKind.String).ToDictionary(v => v.Name, v => v.Value.GetString()!, StringComparer.Ordinal)
                    : null,
                Channels = root.TryGetProperty(ControlAnswersKey, out var c) && c.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? new KernelChannelCapabilities(c.ValueKind == JsonValueKind.True) : null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not ours to read (a damaged row; InvalidOperationException: a string escaping a lone UTF-16 surrogate,
            // found by the provider-data fuzz target): no connection, no pid — probes report it unknown, never gone.
            return Empty;
        }
    }

    private static readonly LocalKernelData Empty = new();

    private static string? String(JsonElement root, string key)
        => root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The JSON kept in <see cref="KernelRecord.ProviderData"/>.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (ConnectionInfoJson is not null) w.WriteString(ConnectionInfoKey, ConnectionInfoJson);
            if (ConnectionFile is not null) w.WriteString(ConnectionFileKey, ConnectionFile);
            if (Pid is { } pid) w.WriteNumber(PidKey, pid);
            if (ProcessStartTime is { } t)
                w.WriteString(ProcessStartTimeKey, t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            if (Adopted) w.WriteBoolean(AdoptedKey, true);
            if (InterruptEvent is { } interruptEvent) w.WriteNumber(InterruptEventKey, interruptEvent);
            if (WorkingDirectory is not null) w.WriteString(WorkingDirectoryKey, WorkingDirectory);
            if (Environment is { Count: > 0 } env)
            {
                w.WriteStartObject(EnvironmentKey);
                foreach (var (k, v) in env) w.WriteString(k, v);
                w.WriteEndObject();
            }
            if (Channels is { } channels) w.WriteBoolean(ControlAnswersKey, channels.ControlAnswers);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary><paramref name="record"/> carrying this data.</summary>
    public KernelRecord ApplyTo(KernelRecord record) => record with { ProviderData = ToJson() };

    /// <summary>What the public <see cref="Kernel"/> shows of it.</summary>
    public ProviderKernelView View => new() { Pid = Pid, ConnectionFile = ConnectionFile, Adopted = Adopted };

    /// <summary>Leaves out <see cref="ConnectionInfoJson"/> (it holds the key): the compiler's record ToString would print it.</summary>
    public override string ToString() => $"LocalKernelData {{ ConnectionFile = {ConnectionFile}, Pid = {Pid}, ProcessStartTime = {ProcessStartTime:O}, " +
        $"Adopted = {Adopted}, WorkingDirectory = {WorkingDirectory}, Environment = {(Environment is { Count: > 0 } e ? string.Join(",", e.Keys) + " (values hidden)" : "(none)")}, " +
        $"Channels = {Channels}, ConnectionInfoJson = {(ConnectionInfoJson is null ? "(none)" : "(hidden)")} }}";
}
