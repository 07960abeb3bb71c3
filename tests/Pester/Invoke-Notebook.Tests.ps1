#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Invoke-Notebook against the BUILT module and real ipykernel (Debian's /usr/bin/python3). Self-contained: its own
# store, Jupyter dirs and kernelspec under TestDrive; every kernel it starts is stopped.

BeforeAll {
    $script:repoRoot = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
    $script:manifest = Join-Path $script:repoRoot 'out' 'JupyterKernels' 'JupyterKernels.psd1'
    $script:python = '/usr/bin/python3'
    $env:JUPYTERKERNELS_DB = Join-Path $TestDrive 'kernels.db'
    $env:JUPYTER_CONFIG_DIR = Join-Path $TestDrive 'config'
    $env:JUPYTER_RUNTIME_DIR = Join-Path $TestDrive 'runtime'
    $env:JUPYTER_DATA_DIR = Join-Path $TestDrive 'data'
    $env:JUPYTER_PATH = Join-Path $TestDrive 'share'
    $spec = Join-Path $TestDrive 'share' 'kernels' 'python3'
    New-Item -ItemType Directory -Path $spec -Force | Out-Null
    Copy-Item /usr/share/jupyter/kernels/python3/* $spec
    Import-Module $script:manifest -Force -ErrorAction Stop

    function script:New-TestNotebook([string] $Path, [string[]] $Sources, [string] $Kernel = 'python3', [int] $ParametersCell = -1) {
        $cells = for ($i = 0; $i -lt $Sources.Count; $i++) {
            [ordered]@{
                cell_type       = 'code'
                execution_count = $null
                id              = "c$i"
                metadata        = if ($i -eq $ParametersCell) { @{ tags = @('parameters') } } else { @{} }
                outputs         = @()
                source          = $Sources[$i]
            }
        }
        $nb = [ordered]@{
            cells          = @($cells)
            metadata       = @{ kernelspec = @{ name = $Kernel; display_name = 'Python 3'; language = 'python' } }
            nbformat       = 4
            nbformat_minor = 5
        }
        $nb | ConvertTo-Json -Depth 10 | Set-Content -Path $Path -Encoding utf8NoBOM
        $Path
    }

    function script:Assert-ValidNotebook([string] $Path) {
        $out = & $script:python -c 'import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")' $Path 2>&1
        $out | Should -Be 'valid'
    }

    function script:Read-Notebook([string] $Path) { Get-Content -Raw $Path | ConvertFrom-Json -Depth 50 }

    # A second pwsh (the same as this one: its apphost, or dotnet + pwsh.dll when it runs as a .NET tool) running
    # $Script after importing the module; its output goes to <Name>.out and <Name>.err in TestDrive.
    # -DefaultSigInt: the child takes SIGINT as Ctrl+C even when this test run inherited SIGINT ignored (a suite
    # started as a background job of a non-interactive shell: `cmd &` ignores SIGINT and SIGQUIT, and children
    # inherit that). coreutils' env resets the disposition and execs pwsh in the same process (same pid).
    function script:Start-ChildPwsh([string] $Script, [string] $Name, [switch] $DefaultSigInt) {
        $processPath = [Environment]::ProcessPath
        $pwsh = if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'pwsh') { @($processPath) } else { @($processPath, (Join-Path $PSHOME 'pwsh.dll')) }
        if ($DefaultSigInt) {
            $pwsh = @('/usr/bin/env', '--default-signal=INT') + $pwsh
        }
        $command = "Import-Module '$script:manifest'; $Script"
        Start-Process -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $command)) -PassThru `
            -RedirectStandardOutput (Join-Path $TestDrive "$Name.out") -RedirectStandardError (Join-Path $TestDrive "$Name.err")
    }

    $script:good = New-TestNotebook (Join-Path $TestDrive 'good.ipynb') @(
        "alpha = 0.1  # the rate`nname = 'world'",
        "print('hello', name, alpha)",
        "from IPython.display import HTML`nHTML('<b>x</b>')"
    ) -ParametersCell 0
    $script:failing = New-TestNotebook (Join-Path $TestDrive 'failing.ipynb') @("x = 1", "1/0", "print('after')")
}

AfterAll {
    Get-Kernel -ErrorAction SilentlyContinue | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
}

Describe 'Invoke-Notebook' {
    AfterEach {
        Get-Kernel -ErrorAction SilentlyContinue | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'runs a notebook with parameters, writes a valid record and stops the kernel it started' {
        $out = Join-Path $TestDrive 'good.out.ipynb'
        $r = Invoke-Notebook $script:good -OutputPath $out -Parameters ([ordered]@{ alpha = 0.5; name = 'pester'; items = 1, 2; when = [datetime]'2024-01-02' })
        $r | Should -BeOfType ([JupyterKernels.NotebookRunResult])
        $r.Status | Should -Be 'Completed'
        $r.CellsRun | Should -Be 4
        $r.KernelStarted | Should -BeTrue
        $r.Parameters['name'] | Should -Be 'pester'
        Assert-ValidNotebook $out
        $nb = Read-Notebook $out
        $nb.cells[1].metadata.tags | Should -Be 'injected-parameters'
        ($nb.cells[1].source -join '') | Should -Match 'when = "2024-01-02T00:00:00.0000000"'
        ($nb.cells[2].outputs[0].text -join '') | Should -Be "hello pester 0.5`n"
        $nb.metadata.papermill.parameters.alpha | Should -Be 0.5
        @(Get-Kernel).Count | Should -Be 0
    }

    It 'shows a result that reads at 80 columns' {
        $out = Join-Path $TestDrive 'view.ipynb'
        $r = Invoke-Notebook $script:good -OutputPath $out -Parameters ([ordered]@{ alpha = 0.5; name = 'view'; items = 1, 2 })
        $table = $r | Format-Table | Out-String -Width 79  # what an 80-column console shows
        $table | Should -Match 'Status\s+Cells\s+Duration\s+Kernel\s+OutputPath'
        $table | Should -Match 'Completed\s+4/4\s+[\d.]+ s\s+python3\s+.*view\.ipynb'
        ($table -split "`n" | Where-Object { $_.TrimEnd().Length -gt 79 }) | Should -BeNullOrEmpty
        $list = $r | Format-List | Out-String -Width 79
        $list | Should -Match 'Cells\s+: 4 of 4 run'  # the injected-parameters cell is one more
        $list | Should -Match 'Parameters\s+: alpha=0\.5; name=view; items=@\(1, 2\)'
        $list | Should -Not -Match 'Traceback'
    }

    It 'refuses <Name> at binding, before a kernel is started or an output written' -TestCases @(
        @{ Name = '-Timeout 0'; Arguments = @{ Timeout = 0 } }
        @{ Name = '-Timeout -5'; Arguments = @{ Timeout = -5 } }
        @{ Name = '-StartTimeout 0'; Arguments = @{ StartTimeout = 0 } }
        @{ Name = '-StartTimeout -00:00:01'; Arguments = @{ StartTimeout = '-00:00:01' } }
    ) {
        param($Name, $Arguments)
        $out = Join-Path $TestDrive 'never-written.ipynb'
        $err = $null
        try { Invoke-Notebook $script:good -OutputPath $out @Arguments -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,JupyterKernels.Cmdlets.InvokeNotebookCommand'
        $err.Exception.Message | Should -Match 'not positive'
        $out | Should -Not -Exist
        @(Get-Kernel).Count | Should -Be 0
    }

    It 'warns of a parameter the notebook does not define (as papermill), and injects it all the same' {
        $out = Join-Path $TestDrive 'unknown-param.ipynb'
        $r = Invoke-Notebook $script:good -OutputPath $out -Parameters ([ordered]@{ alpha = 0.5; gamma = 3 }) -WarningVariable warned -WarningAction SilentlyContinue
        $r.Status | Should -Be 'Completed'
        @($warned).Count | Should -Be 1
        "$($warned[0])" | Should -Match '^Passed unknown parameter: gamma\b'
        (Read-Notebook $out).cells[1].source -join '' | Should -Match 'gamma = 3'
        $null = Invoke-Notebook $script:good -OutputPath $out -Force -Parameters @{ alpha = 0.5 } -WarningVariable none -WarningAction SilentlyContinue
        @($none).Count | Should -Be 0
    }

    It 'marks a failing cell and writes one NotebookCellFailed error naming it' {
        $out = Join-Path $TestDrive 'failing.out.ipynb'
        $r = Invoke-Notebook $script:failing -OutputPath $out -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Status | Should -Be 'Failed'
        $r.FailedCellIndex | Should -Be 1
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'NotebookCellFailed,JupyterKernels.Cmdlets.InvokeNotebookCommand'
        $errs[0].TargetObject.FailedCellIndex | Should -Be 1
        $errs[0].Exception.Message | Should -Match 'The cell In \[2\] of .*ZeroDivisionError'
        # One numbering: the label the notebook shows, in the message, the result and the papermill banner.
        $r.FailedCell | Should -Be 'In [2]'
        ($r | Format-Table | Out-String -Width 80) | Should -Match '\(In \[2\]\)'
        (Get-Content -Raw $out) | Should -Match "In \[2\]</a>"
        $errs[0].ErrorDetails.Message | Should -Match 'ZeroDivisionError'
        $errs[0].ErrorDetails.Message | Should -Not -Match "`e\["
        Assert-ValidNotebook $out
        $nb = Read-Notebook $out
        $nb.cells[0].metadata.tags | Should -Be 'papermill-error-cell-tag'
        $nb.cells[3].metadata.papermill.status | Should -Be 'failed'
        $nb.cells[4].metadata.papermill.status | Should -Be 'pending'
        { Invoke-Notebook $script:failing -OutputPath $out -Force -ErrorAction Stop } | Should -Throw -ErrorId 'NotebookCellFailed,JupyterKernels.Cmdlets.InvokeNotebookCommand'
    }

    It '-ContinueOnError runs every cell' {
        $out = Join-Path $TestDrive 'continue.ipynb'
        $r = Invoke-Notebook $script:failing -OutputPath $out -ContinueOnError -ErrorAction SilentlyContinue
        $r.CellsRun | Should -Be 3
        ((Read-Notebook $out).cells[4].outputs[0].text -join '') | Should -Be "after`n"
    }

    It '-WhatIf starts and writes nothing' {
        $out = Join-Path $TestDrive 'whatif.ipynb'
        Invoke-Notebook $script:good -OutputPath $out -Parameters @{ alpha = 1 } -WhatIf | Should -BeNullOrEmpty
        Test-Path $out | Should -BeFalse
        @(Get-Kernel).Count | Should -Be 0
    }

    It 'replaces an existing output only with -Force' {
        $out = Join-Path $TestDrive 'exists.ipynb'
        Set-Content $out 'keep'
        { Invoke-Notebook $script:good -OutputPath $out -ErrorAction Stop } | Should -Throw -ErrorId 'NotebookOutputExists,JupyterKernels.Cmdlets.InvokeNotebookCommand'
        Get-Content $out | Should -Be 'keep'
        (Invoke-Notebook $script:good -OutputPath $out -Force).Status | Should -Be 'Completed'
        Assert-ValidNotebook $out
    }

    It 'starts the kernel in the notebook''s folder unless -WorkingDirectory says otherwise' {
        $folder = New-Item -ItemType Directory (Join-Path $TestDrive 'nbdir') -Force
        $nb = New-TestNotebook (Join-Path $folder 'cwd.ipynb') @('import os; print(os.getcwd())')
        $r = Invoke-Notebook $nb -Force
        ((Read-Notebook $r.OutputPath).cells[0].outputs[0].text -join '').Trim() | Should -Be $folder.FullName
        $r = Invoke-Notebook $nb -Force -WorkingDirectory $TestDrive
        ((Read-Notebook $r.OutputPath).cells[0].outputs[0].text -join '').Trim() | Should -Be (Resolve-Path $TestDrive).ProviderPath
    }

    It 'writes <name>.output.ipynb beside the input by default' {
        $r = Invoke-Notebook $script:good -Force
        $r.OutputPath | Should -Be (Join-Path $TestDrive 'good.output.ipynb')
        Test-Path $r.OutputPath | Should -BeTrue
    }

    It 'reports bad input clearly and touches nothing: <Case>' -ForEach @(
        @{ Case = 'invalid JSON'; Json = '{ nope'; Params = @{}; Id = 'NotebookInvalid' }
        @{ Case = 'nbformat 3'; Json = '{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}'; Params = @{}; Id = 'NotebookInvalid' }
        @{ Case = 'unknown kernel'; Json = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "cobol", "display_name": "c"}}, "cells": []}'; Params = @{}; Id = 'KernelSpecNotFound' }
        @{ Case = 'no kernel named'; Json = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'; Params = @{}; Id = 'NotebookKernelNotSpecified' }
        @{ Case = 'bad parameter name'; Json = $null; Params = @{ 'not-an-identifier' = 1 }; Id = 'NotebookParameterInvalid' }
        @{ Case = 'value with no literal'; Json = $null; Params = @{ x = [guid]::NewGuid() }; Id = 'NotebookParameterInvalid' }
    ) {
        $in = if ($Json) { $p = Join-Path $TestDrive "bad-$([guid]::NewGuid()).ipynb"; Set-Content $p $Json; $p } else { $script:good }
        $out = Join-Path $TestDrive "bad-out-$([guid]::NewGuid()).ipynb"
        { Invoke-Notebook $in -OutputPath $out -Parameters $Params -ErrorAction Stop } | Should -Throw -ErrorId "$Id,JupyterKernels.Cmdlets.InvokeNotebookCommand"
        Test-Path $out | Should -BeFalse
        @(Get-Kernel).Count | Should -Be 0
    }

    It 'reports a missing notebook as NotebookNotFound (ObjectNotFound)' {
        $missing = Join-Path $TestDrive 'missing.ipynb'
        Invoke-Notebook $missing -ErrorVariable notFound -ErrorAction SilentlyContinue
        $notFound.Count | Should -Be 1
        $notFound[0].FullyQualifiedErrorId | Should -Be 'NotebookNotFound,JupyterKernels.Cmdlets.InvokeNotebookCommand'
        $notFound[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @(Get-Kernel).Count | Should -Be 0
    }

    It 'runs on kernels piped from Get-Kernel and leaves them running' {
        $k = Start-Kernel python3
        Invoke-KernelCode -Id $k.Id -Code 'warm = 41' | Out-Null
        $nb = New-TestNotebook (Join-Path $TestDrive 'warm.ipynb') @('print(warm + 1)')
        $out = Join-Path $TestDrive 'warm.out.ipynb'
        $r = Get-Kernel -Id $k.Id | Invoke-Notebook -Path $nb -OutputPath $out
        $r.KernelId | Should -Be $k.Id
        $r.KernelStarted | Should -BeFalse
        ((Read-Notebook $out).cells[0].outputs[0].text -join '') | Should -Be "42`n"
        (Get-Kernel -Id $k.Id).Id | Should -Be $k.Id
        (Invoke-Notebook -Path $nb -OutputPath $out -Id $k.Id -Force).Status | Should -Be 'Completed'
    }

    It '-PassThru writes the outputs tagged with their cell index' {
        $out = Join-Path $TestDrive 'passthru.ipynb'
        $all = Invoke-Notebook $script:good -OutputPath $out -PassThru
        $result = $all | Where-Object { $_ -is [JupyterKernels.NotebookRunResult] }
        $result.Status | Should -Be 'Completed'
        $stream = $all | Where-Object { $_ -is [JupyterKernels.KernelStreamOutput] }
        $stream.Text | Should -Be "hello world 0.1`n"
        $stream.CellIndex | Should -Be 1
        ($all | Where-Object { $_ -is [JupyterKernels.KernelExecuteResult] }).CellIndex | Should -Be 2
    }

    It 'writes progress naming the running cell, at most every 150 ms' {
        # A quick cell may never be shown (the next one has started when the render comes); cell 2 runs well past the
        # interval, so it is shown while it runs, once.
        $nb = New-TestNotebook (Join-Path $TestDrive 'progress.ipynb') @("x = 1", "import time`ntime.sleep(0.6)", "x")
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$script:manifest'; Invoke-Notebook '$nb' -OutputPath '$(Join-Path $TestDrive 'progress.out.ipynb')' -Force")
            $null = $ps.Invoke()
            $ps.HadErrors | Should -BeFalse -Because ($ps.Streams.Error | Out-String)
            $cells = $ps.Streams.Progress | Where-Object StatusDescription -Match '^Cell \d+ of 3'
            $cells.StatusDescription | Should -Contain 'Cell 2 of 3: import time'
            $cells.Activity | Should -Contain 'Running notebook progress.ipynb'
            ($ps.Streams.Progress | Where-Object RecordType -EQ 'Completed') | Should -Not -BeNullOrEmpty
            @($cells | Where-Object StatusDescription -EQ 'Cell 2 of 3: import time').Count | Should -Be 1
        }
        finally { $ps.Dispose() }
    }

    It 'ends the kernel it started even when the kernel hangs in its exit and pwsh has exited' {
        # A non-daemon thread keeps Python alive after ipykernel's shutdown_reply: the run returns at the reply, and the
        # exit is enforced (SIGTERM after half the 5 s shutdown wait) by a watchdog once the pwsh process has gone.
        $nb = New-TestNotebook (Join-Path $TestDrive 'linger.ipynb') @(
            "import os, threading, time`nthreading.Thread(target=time.sleep, args=(600,)).start()`nprint(os.getpid())")
        $out = Join-Path $TestDrive 'linger.out.ipynb'
        $child = Start-ChildPwsh "Invoke-Notebook '$nb' -OutputPath '$out' -PassThru | Where-Object Name -EQ stdout | ForEach-Object Text" 'linger'
        try { $child.WaitForExit(90000) | Should -BeTrue }
        finally { if (-not $child.HasExited) { $child.Kill($true) } }
        $child.ExitCode | Should -Be 0
        $kernelPid = [int]((Get-Content (Join-Path $TestDrive 'linger.out') -Raw).Trim())
        $kernelPid | Should -BeGreaterThan 1
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while ((Test-Path "/proc/$kernelPid") -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Test-Path "/proc/$kernelPid" | Should -BeFalse -Because 'the kernel would otherwise linger 600 s'
        @(Get-Kernel).Count | Should -Be 0
        (Read-Notebook $out).metadata.papermill.exception | Should -BeFalse
    }

    It 'Ctrl+C in a pwsh process interrupts the kernel and leaves a valid partial notebook' {
        $marker = Join-Path $TestDrive 'sleeping.marker'
        $nb = New-TestNotebook (Join-Path $TestDrive 'sigint.ipynb') @(
            "print('first')",
            "import time`nopen(r'$marker', 'w').write('x')`nprint('sleeping', flush=True)`ntime.sleep(120)",
            "print('never')")
        $out = Join-Path $TestDrive 'sigint.out.ipynb'
        $child = Start-ChildPwsh "Invoke-Notebook '$nb' -OutputPath '$out'" 'child' -DefaultSigInt
        try {
            $deadline = [datetime]::UtcNow.AddSeconds(90)
            while (-not (Test-Path $marker) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Test-Path $marker | Should -BeTrue
            Start-Sleep -Milliseconds 300
            & kill -INT $child.Id
            $exited = $child.WaitForExit(60000)
            $state = if (-not $exited) { (& ps -o 'pid,stat,etime,args' --ppid $child.Id -p $child.Id 2>&1) -join "`n" } else { '' }
            $exited | Should -BeTrue -Because ("the child ends within 60 s of SIGINT; processes: $state; it wrote: " +
                (Get-Content -Raw (Join-Path $TestDrive 'child.out') -ErrorAction SilentlyContinue) + ' / ' +
                (Get-Content -Raw (Join-Path $TestDrive 'child.err') -ErrorAction SilentlyContinue))
        }
        finally { if (-not $child.HasExited) { $child.Kill($true) } }
        Assert-ValidNotebook $out
        $doc = Read-Notebook $out
        $sleeping = $doc.cells | Where-Object id -EQ 'c1'
        $sleeping.metadata.papermill.status | Should -Be 'failed'
        $sleeping.outputs[-1].ename | Should -Be 'KeyboardInterrupt'
        ($doc.cells | Where-Object id -EQ 'c0').metadata.papermill.status | Should -Be 'completed'
        ($doc.cells | Where-Object id -EQ 'c2').metadata.papermill.status | Should -Be 'pending'
        @(Get-Kernel).Count | Should -Be 0
    }
}

Describe 'Invoke-Notebook runs notebooks as nbclient does' {
    # nbclient's own test notebooks (Debian's python3-nbclient ships them) and the list of its test_run_all_notebooks,
    # each run by Invoke-Notebook and compared with the notebook as shipped by nbclient's assert_notebooks_equal
    # (tests/Pester/nbclient-compare.py). Among them: a cell tagged skip-execution is not run; an execute_result whose
    # display id is updated later shows the update; an IPython kernel started for a run keeps its history in memory.
    BeforeAll {
        $script:nbclientFiles = '/usr/lib/python3/dist-packages/nbclient/tests/files'
        $script:nbclientNotebooks = @(
            'Other Comms.ipynb', 'Clear Output.ipynb', 'Empty Cell.ipynb', 'Factorials.ipynb', 'HelloWorld.ipynb',
            'Inline Image.ipynb', 'Skip Execution with Cell Tag.ipynb', 'SVG.ipynb', 'Unicode.ipynb', 'UnicodePy3.ipynb',
            'update-display-id.ipynb', 'Check History in Memory.ipynb')
    }
    AfterEach {
        Get-Kernel -ErrorAction SilentlyContinue | Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'has nbclient test notebooks to run (python3-nbclient)' {
        foreach ($name in $script:nbclientNotebooks) { Join-Path $script:nbclientFiles $name | Should -Exist }
    }

    It 'makes all twelve notebooks of nbclient''s test_run_all_notebooks equal to nbclient''s' {
        $outDir = Join-Path $TestDrive 'nbclient'
        $null = New-Item -ItemType Directory -Force -Path $outDir
        $pairs = [System.Collections.Generic.List[string]]::new()
        # nbclient's run_notebook fixes the terminal size, which IPython's traceback layout reads.
        $saved = @{ COLUMNS = $env:COLUMNS; LINES = $env:LINES }
        $env:COLUMNS = '80'; $env:LINES = '24'
        try {
            foreach ($name in $script:nbclientNotebooks) {
                $output = Join-Path $outDir $name
                # The kernel runs in the notebook's folder (nbclient's resources path): Inline Image reads python.png.
                $result = Invoke-Notebook -Path (Join-Path $script:nbclientFiles $name) -OutputPath $output -KernelName python3 -ErrorAction Stop
                $result.Status | Should -Be 'Completed' -Because $name
                $pairs.Add((Join-Path $script:nbclientFiles $name)); $pairs.Add($output)
            }
        }
        finally { $env:COLUMNS = $saved.COLUMNS; $env:LINES = $saved.LINES }
        $compare = & $script:python (Join-Path $PSScriptRoot 'nbclient-compare.py') @pairs 2>&1
        $exit = $LASTEXITCODE
        @($compare | Where-Object { "$_" -like 'EQUAL *' }).Count | Should -Be 12 -Because ($compare -join "`n")
        $exit | Should -Be 0
    }

    It 'starts an IPython kernel for a run with its history in memory, as nbclient does' {
        $nb = New-TestNotebook (Join-Path $TestDrive 'history.ipynb') @("print(get_ipython().history_manager.hist_file)")
        $out = Join-Path $TestDrive 'history.out.ipynb'
        Invoke-Notebook $nb -OutputPath $out | Out-Null
        (Read-Notebook $out).cells[0].outputs[0].text | Should -Be ":memory:`n"
    }

    It 'leaves a cell tagged skip-execution unrun (no execution count, no outputs) and counts it out' {
        $nb = New-TestNotebook (Join-Path $TestDrive 'skip.ipynb') @("print('skipped')", "print('ran')")
        $doc = Read-Notebook $nb
        $doc.cells[0].metadata | Add-Member -NotePropertyName tags -NotePropertyValue @('skip-execution')
        $doc | ConvertTo-Json -Depth 20 | Set-Content -Path $nb -Encoding utf8NoBOM
        $out = Join-Path $TestDrive 'skip.out.ipynb'
        $result = Invoke-Notebook $nb -OutputPath $out
        $result.CellCount | Should -Be 1
        $result.CellsRun | Should -Be 1
        $cells = (Read-Notebook $out).cells
        $cells[0].execution_count | Should -BeNullOrEmpty
        @($cells[0].outputs).Count | Should -Be 0
        $cells[1].execution_count | Should -Be 1
        $cells[1].outputs[0].text | Should -Be "ran`n"
    }
}
