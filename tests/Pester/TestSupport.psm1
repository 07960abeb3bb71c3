# Shared helpers of the Pester suite (tests/Pester/<Verb-Noun>.Tests.ps1). Each test file starts with
#
#   BeforeAll { Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force; Initialize-TestEnvironment }
#   AfterAll  { Clear-TestEnvironment }
#
# Initialize-TestEnvironment points every Jupyter dir and the JupyterKernels store into $TestDrive (the file's own
# temp dir), writes a private python3 kernelspec (the real ipykernel under /usr/bin/python3) and imports the BUILT
# module from out/JupyterKernels. Clear-TestEnvironment stops every kernel and jupyter-server the file started and
# puts the environment back. Pester runs all files in one pwsh process; a binary module cannot be unloaded, so the
# module is imported once and each file only swaps the environment it reads.

Set-StrictMode -Version Latest

$script:RepoRoot = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
$script:ModuleManifest = Join-Path $script:RepoRoot 'out' 'JupyterKernels' 'JupyterKernels.psd1'
$script:Python = '/usr/bin/python3'
$script:IsolatedVariables = @(
    'JUPYTERKERNELS_DB', 'JUPYTER_RUNTIME_DIR', 'JUPYTER_CONFIG_DIR', 'JUPYTER_DATA_DIR', 'JUPYTER_PATH',
    'PYTHONUSERBASE', 'IPYTHONDIR', 'VIRTUAL_ENV', 'CONDA_PREFIX', 'JUPYTER_PREFER_ENV_PATH', 'JUPYTER_GATEWAY_URL'
)
$script:SavedEnvironment = $null
$script:Servers = [System.Collections.Generic.List[object]]::new()
$script:TestRoot = $null
$script:OwnsRoot = $false

function Get-TestRepoRoot { $script:RepoRoot }

function Get-TestPython { $script:Python }

function Get-TestRoot {
    <# The isolated root of the current test file (its $TestDrive). #>
    $script:TestRoot
}

function Initialize-TestEnvironment {
    <#
    .SYNOPSIS
        Isolates Jupyter dirs and the store into a temp root, writes the private kernelspecs and imports the module.
    .PARAMETER Root
        The isolated root; by default a new temp dir, removed by Clear-TestEnvironment.
    .PARAMETER WithTestKernel
        Also write the 'jk-testkernel' spec (tests/TestKernel: protocol 5.5 with subshells, fault injection).
    #>
    [CmdletBinding()]
    param(
        [string] $Root,
        [switch] $WithTestKernel
    )
    $script:OwnsRoot = -not $Root
    if (-not $Root) { $Root = Join-Path ([IO.Path]::GetTempPath()) ('jk-pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)) }
    $null = New-Item -ItemType Directory -Force -Path $Root
    $script:TestRoot = $Root

    if ($null -eq $script:SavedEnvironment) {
        $script:SavedEnvironment = @{}
        foreach ($name in $script:IsolatedVariables) {
            $script:SavedEnvironment[$name] = [Environment]::GetEnvironmentVariable($name)
        }
    }
    foreach ($name in $script:IsolatedVariables) { [Environment]::SetEnvironmentVariable($name, $null) }

    $data = Join-Path $Root 'data'
    $env:JUPYTERKERNELS_DB = Join-Path $Root 'kernels.db'
    $env:JUPYTER_RUNTIME_DIR = Join-Path $Root 'runtime'
    $env:JUPYTER_CONFIG_DIR = Join-Path $Root 'config'
    $env:JUPYTER_DATA_DIR = $data
    $env:JUPYTER_PATH = Join-Path $Root 'path'
    $env:PYTHONUSERBASE = Join-Path $Root 'userbase'
    $env:IPYTHONDIR = Join-Path $Root 'ipython'
    foreach ($dir in $env:JUPYTER_RUNTIME_DIR, $env:JUPYTER_CONFIG_DIR, $data, $env:JUPYTER_PATH) {
        $null = New-Item -ItemType Directory -Force -Path $dir
    }

    # The private python3 spec shadows any machine-wide one of the same name (the user data dir comes first).
    $python3 = Join-Path $data 'kernels' 'python3'
    $null = New-Item -ItemType Directory -Force -Path $python3
    @{
        argv          = @($script:Python, '-m', 'ipykernel_launcher', '-f', '{connection_file}')
        display_name  = 'Python 3 (ipykernel)'
        language      = 'python'
        metadata      = @{ debugger = $true }
    } | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath (Join-Path $python3 'kernel.json') -Encoding utf8NoBOM
    $resources = & $script:Python -c 'import ipykernel, os; print(os.path.join(os.path.dirname(ipykernel.__file__), "resources"))' 2>$null
    if ($resources -and (Test-Path -LiteralPath $resources)) {
        Get-ChildItem -LiteralPath $resources -File | Copy-Item -Destination $python3
    }

    if ($WithTestKernel) { Install-TestKernelSpec | Out-Null }

    if (-not (Get-Module JupyterKernels)) {
        if (-not (Test-Path -LiteralPath $script:ModuleManifest)) {
            throw "The module is not built: $($script:ModuleManifest) is missing (dotnet build JupyterKernels.sln -c Release)."
        }
        Import-Module $script:ModuleManifest -Global -ErrorAction Stop
    }
    # Create the store now, at file level: Pester removes what a Describe block created in $TestDrive when the block
    # ends, and a store created lazily inside the first Describe would vanish under this process (which keeps using
    # the unlinked file) while other processes started later open a new, empty one.
    $null = Get-Kernel
}

function Install-TestKernelSpec {
    <#
    .SYNOPSIS
        Writes the 'jk-testkernel' kernelspec (the project's test kernel, protocol 5.5 with subshells) into the
        private data dir and returns its name.
    #>
    [CmdletBinding()]
    param(
        [string] $Name = 'jk-testkernel',
        [switch] $NoSubShells
    )
    $dll = Get-ChildItem -Path (Join-Path $script:RepoRoot 'tests' 'TestKernel' 'bin') -Recurse -Filter 'JupyterKernels.TestKernel.dll' -ErrorAction SilentlyContinue |
        Where-Object { $_.DirectoryName -match '[\\/]Release[\\/]' } | Select-Object -First 1
    if (-not $dll) { throw 'The test kernel is not built (dotnet build JupyterKernels.sln -c Release).' }
    $argv = @((Get-DotnetHost), $dll.FullName, '-f', '{connection_file}')
    if ($NoSubShells) { $argv += '--no-subshells' }
    $dir = Join-Path $env:JUPYTER_DATA_DIR 'kernels' $Name
    $null = New-Item -ItemType Directory -Force -Path $dir
    @{
        argv           = $argv
        display_name   = 'JupyterKernels test kernel'
        language       = 'testlang'
        interrupt_mode = 'message'
    } | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath (Join-Path $dir 'kernel.json') -Encoding utf8NoBOM
    $Name
}

function Get-DotnetHost {
    <# The dotnet host running this pwsh (pwsh runs as a .NET tool), else 'dotnet' on PATH. #>
    $processPath = [Environment]::ProcessPath
    if ($processPath -and [IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'dotnet') { return $processPath }
    $dotnet = Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($dotnet) { return $dotnet.Source }
    throw 'dotnet not found'
}

function Get-PwshCommand {
    <# The command line (as an array) that starts the same pwsh as this one: the apphost, or dotnet + pwsh.dll. #>
    $processPath = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'pwsh') { return , @($processPath) }
    , @($processPath, (Join-Path $PSHOME 'pwsh.dll'))
}

function Invoke-TestPwsh {
    <#
    .SYNOPSIS
        Runs a script in a second 'pwsh -NoProfile -NonInteractive -File' process with the isolated environment and
        the built module imported; returns ExitCode, Output (stdout lines), ErrorOutput (stderr lines), TimedOut.
    .PARAMETER Script
        The script text; the module is imported before it unless -NoImport.
    .PARAMETER Timeout
        Killed (TimedOut = $true) after this long: a runbook must never hang.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Script,
        [string[]] $ArgumentList = @(),
        [timespan] $Timeout = [timespan]::FromSeconds(90),
        [switch] $NoImport,
        [int] $Width = 120,
        [string] $WorkingDirectory = $script:RepoRoot
    )
    $dir = Join-Path $script:TestRoot 'scripts'
    $null = New-Item -ItemType Directory -Force -Path $dir
    $file = Join-Path $dir ('run-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.ps1')
    $prelude = if ($NoImport) { '' } else { "Import-Module '$($script:ModuleManifest -replace "'", "''")' -ErrorAction Stop`n" }
    Set-Content -LiteralPath $file -Value ($prelude + $Script) -Encoding utf8NoBOM

    $pwsh = Get-PwshCommand
    $psi = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.Environment['COLUMNS'] = "$Width"
    $psi.Environment['TERM'] = 'dumb'
    $psi.Environment['NO_COLOR'] = '1'
    $process = [System.Diagnostics.Process]::Start($psi)
    $process.StandardInput.Close()   # a runbook that reads the console gets EOF, never a wait
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $timedOut = -not $process.WaitForExit([int]$Timeout.TotalMilliseconds)
    if ($timedOut) { try { $process.Kill($true) } catch { } ; $null = $process.WaitForExit(10000) }
    $null = $stdout.Wait(10000); $null = $stderr.Wait(10000)
    [pscustomobject]@{
        ExitCode    = if ($timedOut) { $null } else { $process.ExitCode }
        TimedOut    = $timedOut
        Output      = @(($stdout.Result -replace "`r", '') -split "`n" | Select-Object -SkipLast 1)
        ErrorOutput = @(($stderr.Result -replace "`r", '') -split "`n" | Where-Object { $_ -ne '' })
        Text        = $stdout.Result
        ErrorText   = $stderr.Result
    }
}

function Get-FreeTcpPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Start-TestJupyterServer {
    <#
    .SYNOPSIS
        Starts a real jupyter-server on a free 127.0.0.1 port with a random token, in its own dirs under the test
        root, seeing only the private python3 kernelspec. Returns Url, Token, Port, Process. Stopped by
        Stop-TestJupyterServer or Clear-TestEnvironment.
    #>
    [CmdletBinding()]
    param([timespan] $Timeout = [timespan]::FromSeconds(60))
    $port = Get-FreeTcpPort
    $token = -join ((1..24) | ForEach-Object { '{0:x2}' -f (Get-Random -Maximum 256) })
    $root = Join-Path $script:TestRoot ('server-' + $port)
    foreach ($d in 'root', 'runtime', 'config') { $null = New-Item -ItemType Directory -Force -Path (Join-Path $root $d) }
    $kernels = Join-Path $env:JUPYTER_DATA_DIR 'kernels'
    $psi = [System.Diagnostics.ProcessStartInfo]::new($script:Python)
    foreach ($a in '-m', 'jupyter_server', '--ServerApp.ip=127.0.0.1', "--ServerApp.port=$port", '--ServerApp.port_retries=0',
        "--ServerApp.token=$token", "--ServerApp.root_dir=$(Join-Path $root 'root')", '--ServerApp.open_browser=False',
        "--KernelSpecManager.kernel_dirs=['$kernels']", '--KernelSpecManager.allowed_kernelspecs=python3') {
        $psi.ArgumentList.Add($a)
    }
    if ([Environment]::UserName -eq 'root') { $psi.ArgumentList.Add('--allow-root') }
    $psi.Environment['JUPYTER_RUNTIME_DIR'] = Join-Path $root 'runtime'
    $psi.Environment['JUPYTER_CONFIG_DIR'] = Join-Path $root 'config'
    $psi.Environment['JUPYTER_PLATFORM_DIRS'] = '0'
    $null = $psi.Environment.Remove('JUPYTER_GATEWAY_URL')
    $null = $psi.Environment.Remove('PYTHONPATH')
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $log = Join-Path $root 'server.log'
    $null = $process.StandardOutput.BaseStream.CopyToAsync([IO.File]::Open("$log.out", 'Create', 'Write', 'ReadWrite'))
    $null = $process.StandardError.BaseStream.CopyToAsync([IO.File]::Open($log, 'Create', 'Write', 'ReadWrite'))
    $server = [pscustomobject]@{ Url = "http://127.0.0.1:$port/"; Token = $token; Port = $port; Process = $process; Root = $root }
    $script:Servers.Add($server)

    $http = [System.Net.Http.HttpClient]::new()
    $http.Timeout = [timespan]::FromSeconds(2)
    $deadline = [Diagnostics.Stopwatch]::StartNew()
    try {
        while ($deadline.Elapsed -lt $Timeout -and -not $process.HasExited) {
            try {
                $request = [System.Net.Http.HttpRequestMessage]::new('GET', $server.Url + 'api/status')
                $null = $request.Headers.TryAddWithoutValidation('Authorization', "token $token")
                $response = $http.Send($request)
                if ($response.StatusCode -eq 'OK') { return $server }
            } catch { }
            Start-Sleep -Milliseconds 200
        }
    } finally { $http.Dispose() }
    Stop-TestJupyterServer $server
    $text = if (Test-Path -LiteralPath $log) { (Get-Content -LiteralPath $log -Raw) -replace [regex]::Escape($token), '***' } else { '' }
    throw "jupyter-server did not start within $Timeout`:`n$text"
}

function Stop-TestJupyterServer {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)] $Server)
    process {
        try { if (-not $Server.Process.HasExited) { $Server.Process.Kill($true) } } catch { }
        $null = $Server.Process.WaitForExit(10000)
        $null = $script:Servers.Remove($Server)
    }
}

function Stop-TestKernel {
    <#
    .SYNOPSIS
        Stops every kernel of the isolated store (only this file's kernels live there), then kills any kernel
        process still running from a connection file of the private runtime dir.
    #>
    [CmdletBinding()]
    param()
    if (Get-Module JupyterKernels) {
        Get-Kernel -ErrorAction SilentlyContinue | Where-Object State -NE 'Stopped' |
            Stop-Kernel -Force -Confirm:$false -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
    }
    if ($env:JUPYTER_RUNTIME_DIR -and (Test-Path -LiteralPath $env:JUPYTER_RUNTIME_DIR)) {
        $runtime = $env:JUPYTER_RUNTIME_DIR
        Get-Process -ErrorAction SilentlyContinue | Where-Object {
            try { $_.CommandLine -and $_.CommandLine.Contains($runtime) } catch { $false }
        } | ForEach-Object { try { $_.Kill($true) } catch { } }
    }
}

function Clear-TestEnvironment {
    <# Stops this file's kernels and servers and restores the environment variables Initialize-TestEnvironment set. #>
    [CmdletBinding()]
    param()
    Stop-TestKernel
    foreach ($server in @($script:Servers)) { Stop-TestJupyterServer $server }
    if ($null -ne $script:SavedEnvironment) {
        foreach ($name in $script:SavedEnvironment.Keys) {
            [Environment]::SetEnvironmentVariable($name, $script:SavedEnvironment[$name])
        }
        $script:SavedEnvironment = $null
    }
    if ($script:OwnsRoot -and $script:TestRoot -and (Test-Path -LiteralPath $script:TestRoot)) {
        Remove-Item -LiteralPath $script:TestRoot -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Get-RenderedText {
    <#
    .SYNOPSIS
        What a person sees: the objects formatted by the default views at the given width, as trimmed lines with
        blank lines removed.
    #>
    [CmdletBinding()]
    param(
        [Parameter(ValueFromPipeline)] $InputObject,
        [int] $Width = 120,
        [switch] $KeepBlankLines
    )
    begin { $items = [System.Collections.Generic.List[object]]::new() }
    process { $items.Add($InputObject) }
    end {
        $text = $items | Out-String -Width $Width
        $lines = ($text -replace "`r", '') -split "`n" | ForEach-Object { $_.TrimEnd() }
        if (-not $KeepBlankLines) { $lines = $lines | Where-Object { $_ -ne '' } }
        $lines
    }
}

function Test-TableView {
    <#
    .SYNOPSIS
        Renders objects with their default view as a console of -Width columns shows them (-Width - 1 characters)
        and checks it is a table: the header starts with the given
        columns, every line fits the width, one row per object, no property list. Returns the problems (none = ok).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [object[]] $InputObject,
        [Parameter(Mandatory)] [string[]] $Column,
        [int] $Width = 120,
        # Values that must appear whole on the object's row, per object (e.g. its full id).
        [scriptblock] $RowValue
    )
    # A console of $Width columns lays tables out in $Width - 1 (measured: pwsh 7.6.9 at a buffer width of 80 renders
    # exactly as Out-String -Width 79): check what such a window shows.
    $Width = $Width - 1
    $lines = @($InputObject | Get-RenderedText -Width $Width)
    if ($lines.Count -lt 2) { return "no table at width $Width" }
    $header = ($lines[0] -split '\s+') | Where-Object { $_ }
    for ($i = 0; $i -lt $Column.Count; $i++) {
        if ($header[$i] -ne $Column[$i]) { "header at width $Width is '$($lines[0])', expected it to start with $($Column -join ', ')" ; break }
    }
    $lines | Where-Object { $_.Length -gt $Width } | ForEach-Object { "line longer than $Width`: '$_'" }
    $lines | Where-Object { $_ -match '^\w+\s+: ' } | ForEach-Object { "property list line: '$_'" }
    $rows = @($lines | Select-Object -Skip 2)
    if ($rows.Count -ne $InputObject.Count) { "$($rows.Count) rows for $($InputObject.Count) objects at width $Width" }
    if ($RowValue) {
        foreach ($object in $InputObject) {
            foreach ($value in @(& $RowValue $object)) {
                if (-not ($rows | Where-Object { $_.Contains([string]$value) })) { "no row shows '$value' whole at width $Width" }
            }
        }
    }
}

$exported = @(
    'Test-TableView'
    'Get-TestRepoRoot'
    'Get-TestPython'
    'Get-TestRoot'
    'Initialize-TestEnvironment'
    'Install-TestKernelSpec'
    'Get-DotnetHost'
    'Get-PwshCommand'
    'Invoke-TestPwsh'
    'Get-FreeTcpPort'
    'Start-TestJupyterServer'
    'Stop-TestJupyterServer'
    'Stop-TestKernel'
    'Clear-TestEnvironment'
    'Get-RenderedText'
)
Export-ModuleMember -Function $exported

# ---------------------------------------------------------------- a real terminal (tmux), for interactive commands

function Start-TestTerminal {
    <#
    .SYNOPSIS
        Starts pwsh (the same one as this process) with the isolated environment and the built module imported, in a
        real terminal: a detached tmux session on a tmux server of its own (-L, so no other tmux is touched), of the
        given size. Drive it with Send-TestTerminalKeys, read it with Get-TestTerminalText / Wait-TestTerminalText,
        end it with Stop-TestTerminal (in the test file's AfterAll).
    #>
    [CmdletBinding()]
    param([int] $Width = 100, [int] $Height = 50, [timespan] $Timeout = [timespan]::FromSeconds(90), [hashtable] $Environment = @{})
    if (-not (Get-Command tmux -CommandType Application -ErrorAction SilentlyContinue)) { throw 'tmux is not installed (apt-get install tmux).' }
    $socket = 'jk-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
    $pwshCommand = Get-PwshCommand
    $pwsh = ($pwshCommand | ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }) -join ' '
    $import = "Import-Module '$($script:ModuleManifest -replace "'", "''")' -ErrorAction Stop; Write-Host 'TERMINAL-READY'"
    $command = "$pwsh -NoProfile -NoLogo -NoExit -Command `"$import`""
    $arguments = @('-L', $socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'jk', '-x', "$Width", '-y', "$Height")
    foreach ($name in $script:IsolatedVariables + @('PATH', 'HOME', 'DOTNET_ROOT')) {
        $value = [Environment]::GetEnvironmentVariable($name)
        if ($null -ne $value) { $arguments += @('-e', "$name=$value") }
    }
    foreach ($name in $Environment.Keys) { $arguments += @('-e', "$name=$($Environment[$name])") }
    $arguments += @('-c', $script:RepoRoot, $command)
    & tmux @arguments
    if ($LASTEXITCODE -ne 0) { throw "tmux new-session failed ($LASTEXITCODE)." }
    & tmux -L $socket set-option -t jk remain-on-exit on | Out-Null
    $terminal = [pscustomobject]@{ Socket = $socket; Target = 'jk' }
    $script:Terminals.Add($terminal)
    $null = Wait-TestTerminalText $terminal -Pattern 'TERMINAL-READY' -Timeout $Timeout
    $terminal
}

function Send-TestTerminalKeys {
    <#
    .SYNOPSIS
        Types into the terminal: -Text literally (no key names), then each -Key by its tmux name (Enter, Tab, Up, C-c, C-d...).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] $Terminal, [string] $Text, [string[]] $Key = @())
    if ($Text) { & tmux -L $Terminal.Socket send-keys -t $Terminal.Target -l -- $Text }
    foreach ($k in $Key) { & tmux -L $Terminal.Socket send-keys -t $Terminal.Target $k }
}

function Get-TestTerminalText {
    <# The terminal's scrollback and screen as lines, wrapped lines joined, each line's trailing blanks trimmed and the
       empty rows under the last text left out: the last line is the one being typed on. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] $Terminal)
    $lines = @(& tmux -L $Terminal.Socket capture-pane -p -J -t $Terminal.Target -S -5000 | ForEach-Object { $_.TrimEnd() })
    $last = $lines.Count - 1
    while ($last -ge 0 -and $lines[$last] -eq '') { $last-- }
    if ($last -lt 0) { return @() }
    @($lines[0..$last])
}

function Wait-TestTerminalText {
    <#
    .SYNOPSIS
        Waits until the terminal shows a line matching -Pattern (a regex) at least -Count times, after line -After
        (a line count from an earlier capture); returns the captured lines. Throws with the screen on timeout.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] $Terminal,
        [Parameter(Mandatory)] [string] $Pattern,
        [int] $Count = 1,
        [int] $After = 0,
        [timespan] $Timeout = [timespan]::FromSeconds(30)
    )
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while ($true) {
        $lines = Get-TestTerminalText $Terminal
        $found = @($lines | Select-Object -Skip $After | Where-Object { $_ -match $Pattern }).Count
        if ($found -ge $Count) { return $lines }
        if ($clock.Elapsed -gt $Timeout) {
            throw "The terminal did not show '$Pattern' ($Count time(s)) within $Timeout. Screen:`n$($lines -join "`n")"
        }
        Start-Sleep -Milliseconds 100
    }
}

function Stop-TestTerminal {
    <# Ends the terminal's tmux server (and the pwsh in it). #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] $Terminal)
    & tmux -L $Terminal.Socket kill-server 2>$null
    $null = $script:Terminals.Remove($Terminal)
}

$script:Terminals = [System.Collections.Generic.List[object]]::new()

Export-ModuleMember -Function 'Start-TestTerminal', 'Send-TestTerminalKeys', 'Get-TestTerminalText', 'Wait-TestTerminalText', 'Stop-TestTerminal'
