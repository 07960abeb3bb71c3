using JupyterKernels.Connections;
using JupyterKernels.Notebooks;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// Notebook runs: check and parameterise first (nothing written, no kernel started), then run on the kernel asked for.
public sealed partial class KernelService
{
    public Task<IReadOnlyList<NotebookParameter>> GetNotebookParametersAsync(string path, string? language, CancellationToken cancellationToken)
    {
        var notebook = NotebookDocument.Load(path);
        var lang = language ?? notebook.Language;
        var translator = ParameterTranslator.ForLanguage(lang) ?? throw new KernelException(ErrorIds.NotebookParameterInvalid, KernelErrorCategory.InvalidData,
            lang is null
                ? $"'{path}' does not say its language (metadata.kernelspec.language); give -Language ({ParameterTranslator.SupportedLanguages})."
                : $"Parameters of '{lang}' notebooks cannot be read; supported: {ParameterTranslator.SupportedLanguages}.", path);
        var parameters = ParameterInjection.Inspect(notebook, translator)
            .Select(p => new NotebookParameter { Name = p.Name, Type = p.Type, Default = p.Default, Help = p.Help, Language = p.Language, Path = path })
            .ToList();
        return Task.FromResult<IReadOnlyList<NotebookParameter>>(parameters);
    }

    public async Task<NotebookRunPlan> PlanNotebookRunAsync(NotebookRunRequest request, CancellationToken cancellationToken)
    {
        var notebook = NotebookDocument.Load(request.InputPath);
        var samePath = string.Equals(Path.GetFullPath(request.InputPath), Path.GetFullPath(request.OutputPath), StringComparison.Ordinal);
        if (!request.Force && (File.Exists(request.OutputPath) || samePath))
            throw new KernelException(ErrorIds.NotebookOutputExists, KernelErrorCategory.ResourceExists,
                $"The output notebook '{request.OutputPath}' {(samePath ? "is the input notebook" : "exists")}; use -Force to replace it.", request.OutputPath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(request.OutputPath));
        if (folder is null || !Directory.Exists(folder))
            throw new KernelException(ErrorIds.NotebookWriteFailed, KernelErrorCategory.ObjectNotFound,
                $"The folder of the output notebook '{request.OutputPath}' does not exist.", request.OutputPath);

        string kernelName;
        if (request.KernelId is { } id)
        {
            kernelName = (await GetRecordAsync(id, cancellationToken).ConfigureAwait(false)).SpecName;
        }
        else
        {
            kernelName = request.KernelName ?? notebook.KernelName ?? throw new KernelException(ErrorIds.NotebookKernelNotSpecified, KernelErrorCategory.InvalidArgument,
                $"'{request.InputPath}' names no kernel (metadata.kernelspec.name); give -KernelName, -Id or -SessionName.", request.InputPath);
        }
        var spec = await FindSpecAsync(kernelName, mustExist: request.KernelId is null && request.SessionName is null, cancellationToken).ConfigureAwait(false);
        // The notebook's own language wins when it runs on the kernel it names; a kernel given by the caller speaks its spec's.
        var language = request.KernelName is not null && spec is { Language.Length: > 0 } ? spec.Language : notebook.Language ?? spec?.Language;
        if (request.KernelName is not null) SetKernelspec(notebook, kernelName, spec);

        int injected = -1;
        IReadOnlyList<string> unknown = Array.Empty<string>();
        if (request.Parameters.Count > 0)
        {
            var translator = ParameterTranslator.ForLanguage(language) ?? throw new KernelException(ErrorIds.NotebookParameterInvalid, KernelErrorCategory.InvalidArgument,
                language is null
                    ? $"The language of '{request.InputPath}' is unknown (no metadata.kernelspec.language), so parameters cannot be written for it."
                    : $"Parameters cannot be written in '{language}'; supported: {ParameterTranslator.SupportedLanguages}.", request.InputPath);
            // papermill warns of a parameter the notebook's parameters cell does not assign (it is injected all the same).
            var declared = ParameterInjection.Inspect(notebook, translator).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            unknown = request.Parameters.Select(p => p.Key).Where(name => !declared.Contains(name)).ToList();
            injected = ParameterInjection.Inject(notebook, translator.Codify(request.Parameters));
        }
        var codeCells = Enumerable.Range(0, notebook.CellCount).Count(i => NotebookRunner.IsRunnable(notebook.Cell(i)));
        return new NotebookRunPlan(request, notebook, kernelName, language, codeCells, injected) { UnknownParameters = unknown };
    }

    /// <param name="startProgress">Phases of starting the kernel (when one is started for the run).</param>
    public async Task<NotebookRunResult> RunNotebookAsync(NotebookRunPlan plan, INotebookRunObserver? observer, IProgress<string>? startProgress, CancellationToken cancellationToken)
    {
        var request = plan.Request;
        var trace = new NotebookRunTrace();
        var starting = trace.Start();
        string kernelId;
        bool started = false;
        if (request.KernelId is { } id) kernelId = (await GetRecordAsync(id, cancellationToken).ConfigureAwait(false)).Id;
        else if (request.SessionName is { } session)
            kernelId = (await NewSessionAsync(session, plan.KernelName, Path.GetFullPath(request.InputPath), "notebook", startProgress, cancellationToken).ConfigureAwait(false)).KernelId;
        else
        {
            // The kernel process takes a while to come up; the first pass over a cell's code is made meanwhile.
            _ = Task.Run(NotebookRunWarmUp.Run, CancellationToken.None);
            var kernel = await StartKernelAsync(new StartKernelOptions
            {
                SpecName = plan.KernelName,
                WorkingDirectory = request.WorkingDirectory,
                StartTimeout = request.StartTimeout,
                ExtraArguments = NotebookKernelArguments.For(plan.KernelName),
            }, startProgress, cancellationToken).ConfigureAwait(false);
            kernelId = kernel.Id;
            started = true;
        }

        trace.Add(NotebookRunTrace.Phase.StartKernel, starting);

        try
        {
            var runner = new NotebookRunner(plan.Notebook, new NotebookRunSettings
            {
                InputPath = request.InputPath,
                OutputPath = request.OutputPath,
                KernelId = kernelId,
                KernelName = plan.KernelName,
                Language = plan.Language,
                KernelStarted = started,
                CellTimeout = request.CellTimeout,
                ContinueOnError = request.ContinueOnError,
                Parameters = request.Parameters,
            }, new ServiceCellExecutor(this, kernelId), observer, trace);
            return await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A kernel started for the run ends with it (on failure and Ctrl+C too); one given by id or session stays.
            if (started)
            {
                var stopping = trace.Start();
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                // Nobody waits on the kernel's teardown (ipykernel: 100-250 ms after its shutdown_reply): the stop returns at
                // the acknowledgement and the provider sees the process out.
                try { await StopKernelAsync(kernelId, force: cancellationToken.IsCancellationRequested, waitForExit: false, stop.Token).ConfigureAwait(false); }
                catch (Exception e) when (e is KernelException or OperationCanceledException) { /* Sync-KernelSession reconciles what is left */ }
                trace.Add(NotebookRunTrace.Phase.StopKernel, stopping);
            }
            trace.Write();
        }
    }

    private async Task<KernelSpec?> FindSpecAsync(string name, bool mustExist, CancellationToken cancellationToken)
    {
        var slash = name.IndexOf('/');
        // Only the provider that owns the name: listing every registered server would wait on remote ones for nothing.
        var provider = slash > 0 ? name[..slash] : JupyterKernels.Providers.KernelProviders.LocalName;
        KernelSpecListing listing;
        try
        {
            listing = await GetKernelSpecsAsync(provider, refresh: false, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException) when (!mustExist)
        {
            return null;
        }
        var spec = listing.Specs.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));
        if (spec is null && mustExist && listing.Warnings.Count == 0)
            throw new KernelException(ErrorIds.KernelSpecNotFound, KernelErrorCategory.ObjectNotFound,
                $"No kernelspec named '{name}' (available: {string.Join(", ", listing.Specs.Select(s => s.Name))}).", name);
        return spec;
    }

    private static void SetKernelspec(NotebookDocument notebook, string kernelName, KernelSpec? spec)
    {
        var kernelspec = new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = spec?.ProviderSpecName ?? kernelName,
            ["display_name"] = spec?.DisplayName ?? kernelName,
        };
        if (spec is { Language.Length: > 0 }) kernelspec["language"] = spec.Language;
        notebook.Metadata["kernelspec"] = kernelspec;
    }

    /// <summary>
    /// Runs the cells of one notebook run on one kernel. The kernel's record and this process's connection are looked
    /// up once for the run, not once per cell (Invoke-KernelCode's path reads the store on every call); a connection
    /// that ended (kernel restarted, transport lost) is looked up again, record and all. Executions are tracked as every other is.
    /// </summary>
    private sealed class ServiceCellExecutor : INotebookCellExecutor
    {
        private readonly KernelService _service;
        private readonly string _kernelId;
        private KernelRecord? _record;
        private KernelClient? _client;

        public ServiceCellExecutor(KernelService service, string kernelId)
        {
            _service = service;
            _kernelId = kernelId;
        }

        public async Task<KernelExecution> ExecuteAsync(string code, ExecuteOptions options, CancellationToken cancellationToken)
        {
            var client = await ClientAsync(cancellationToken).ConfigureAwait(false);
            var execution = _service.SeenByStore(await _service.SeenByStoreAsync(client.ExecuteAsync(code, options, cancellationToken)).ConfigureAwait(false));
            _ = _service.TrackExecutionAsync(_record!.Id, options.SubShellId, execution, client);
            return execution;
        }

        public async Task<System.Text.Json.Nodes.JsonObject?> GetLanguageInfoAsync(CancellationToken cancellationToken)
        {
            var client = await ClientAsync(cancellationToken).ConfigureAwait(false);
            var info = client.Info ?? await _service.SeenByStoreAsync(client.GetKernelInfoAsync(_service._options.ControlTimeout, cancellationToken)).ConfigureAwait(false);
            return info.LanguageInfoJson.Length > 0 ? System.Text.Json.Nodes.JsonNode.Parse(info.LanguageInfoJson) as System.Text.Json.Nodes.JsonObject : null;
        }

        private async Task<KernelClient> ClientAsync(CancellationToken cancellationToken)
        {
            if (_client is { TerminalError: null } client) return client;
            // The first time, or after the connection ended: the record as it is now names the process to reach (a
            // restart by another process names a new one).
            _record = await _service.GetRecordAsync(_kernelId, cancellationToken).ConfigureAwait(false);
            return _client = await _service.GetClientAsync(_record, cancellationToken).ConfigureAwait(false);
        }
    }
}
