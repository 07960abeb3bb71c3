# The Windows lane's scenario (run by run-wine-lane.sh in PwshHost.exe under Wine): the module as built imports, lists
# kernelspecs, names why a start failed, starts the test kernel (win-x64), executes, interrupts through the interrupt
# event, stops and syncs. Prints TAP-like "ok N - what" / "not ok N - what: why" lines; exits 1 if any check failed.
param(
    [Parameter(Mandatory)] [string] $Manifest,
    [Parameter(Mandatory)] [string] $TestKernel,
    [Parameter(Mandatory)] [string] $Work
)
$ErrorActionPreference = 'Stop'
$script:n = 0
$script:failed = 0
function Check([string] $What, [scriptblock] $Test) {
    $script:n++
    try {
        $result = & $Test
        if ($result -is [string] -and $result.Length -gt 0) { $script:failed++; "not ok $($script:n) - ${What}: $result" }
        else { "ok $($script:n) - $What" }
    }
    catch { $script:failed++; "not ok $($script:n) - ${What}: [$($_.FullyQualifiedErrorId)] $($_.Exception.Message)" }
}

# Isolated dirs: Jupyter's (kernelspecs, runtime) and the Windows profile folders the store rule reads.
$null = New-Item -ItemType Directory -Force -Path $Work
$env:JUPYTER_DATA_DIR = $null
$env:APPDATA = Join-Path $Work 'Roaming'
$env:LOCALAPPDATA = Join-Path $Work 'Local'
$env:JUPYTER_RUNTIME_DIR = Join-Path $Work 'runtime'
$env:JUPYTER_PATH = Join-Path $Work 'share'
$env:JUPYTER_CONFIG_DIR = Join-Path $Work 'config'
$env:IPYTHONDIR = Join-Path $Work 'ipython'
function Spec([string] $Name, [string[]] $Argv, [string] $Mode = 'signal') {
    $dir = Join-Path $env:JUPYTER_PATH 'kernels' $Name
    $null = New-Item -ItemType Directory -Force -Path $dir
    @{ argv = $Argv; display_name = "Wine $Name"; language = 'test'; interrupt_mode = $Mode } |
        ConvertTo-Json | Set-Content -LiteralPath (Join-Path $dir 'kernel.json') -Encoding utf8
}
Spec 'wintest' @($TestKernel, '-f', '{connection_file}')
Spec 'winbroken' @($TestKernel, '--no-such-option', '-f', '{connection_file}')
Spec 'winstorestub' @("$env:windir\system32\cmd.exe", '/c', 'echo Python was not found; run without arguments to install from the Microsoft Store 1>&2 & exit 9009')

Check 'the module imports (IL layout on Windows)' {
    Import-Module $Manifest
    $count = @(Get-Command -Module JupyterKernels).Count
    if ($count -lt 20) { "only $count commands" }
}
Check 'the core and SQLite load from their IL, not the linux-x64 images' {
    Get-Kernel | Out-Null
    $paths = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'JupyterKernels', 'Microsoft.Data.Sqlite' } | ForEach-Object Location
    $bad = @($paths | Where-Object { $_ -match 'readytorun' })
    if ($paths.Count -ne 2 -or $bad) { "loaded: $($paths -join ', ')" }
}
Check 'the store is under LOCALAPPDATA' {
    $db = Join-Path $env:LOCALAPPDATA 'JupyterKernels' 'jupyterkernels.db'
    if (-not (Test-Path $db)) { "no $db" }
}
Check 'Get-KernelSpec lists the kernelspecs' {
    $names = @(Get-KernelSpec | ForEach-Object Name)
    if ('wintest' -notin $names -or 'winbroken' -notin $names) { "got: $($names -join ', ')" }
}
Check 'a failed start names its reason (the kernel''s own output, from its log)' {
    try { Start-Kernel winbroken -Timeout 60 | Out-Null; return 'it started' }
    catch {
        if ($_.FullyQualifiedErrorId -notmatch 'KernelExitedDuringStart') { return "error id $($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
        if ($_.Exception.Message -notmatch "unknown argument '--no-such-option'") { return "message: $($_.Exception.Message)" }
        if ($_.Exception.Message -notmatch 'exit code 2') { return "no exit code: $($_.Exception.Message)" }
    }
}
Check 'the Microsoft Store stand-in for python is recognised by its exit code' {
    try { Start-Kernel winstorestub -Timeout 60 | Out-Null; return 'it started' }
    catch { if ($_.Exception.Message -notmatch '9009.*Microsoft Store') { return "message: $($_.Exception.Message)" } }
}
$kernel = $null
Check 'Start-Kernel starts the win-x64 test kernel' {
    $script:kernel = Start-Kernel wintest -Timeout 120
    if ($script:kernel.State -ne 'Idle') { "state $($script:kernel.State)" }
}
Check 'Invoke-KernelCode runs code' {
    $out = $script:kernel | Invoke-KernelCode -Code 'print hello from wine' -Timeout 60 | Out-String
    if ($out -notmatch 'hello from wine') { "output: $out" }
}
Check 'Stop-KernelExecution interrupts a running cell through the interrupt event' {
    $job = Start-ThreadJob -ArgumentList $script:kernel.Id, $Manifest -ScriptBlock {
        param($id, $manifest)
        Import-Module $manifest
        Invoke-KernelCode -Id $id -Code 'sleep 60' -Timeout 90 -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null
        $e | ForEach-Object { $_.ToString() }
    }
    Start-Sleep -Seconds 3
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $script:kernel | Stop-KernelExecution -Confirm:$false
    $done = $job | Wait-Job -Timeout 30
    $result = $job | Receive-Job
    $job | Remove-Job -Force
    if (-not $done) { return 'the cell was still running 30 s after the interrupt' }
    if ("$result" -notmatch 'KeyboardInterrupt') { return "the cell ended with: $result" }
    if ($watch.Elapsed.TotalSeconds -gt 30) { return "took $($watch.Elapsed)" }
    $log = Get-Content -Raw -LiteralPath ([IO.Path]::ChangeExtension($script:kernel.ConnectionFile, '.log'))
    if ($log -notmatch 'interrupt event set') { return "the kernel's log does not show the event: $log" }
}
Check 'the kernel still answers after the interrupt' {
    $out = $script:kernel | Invoke-KernelCode -Code 'print still here' -Timeout 60 | Out-String
    if ($out -notmatch 'still here') { "output: $out" }
}
Check 'Stop-Kernel stops it and its process is gone' {
    $kernelPid = $script:kernel.Pid
    $script:kernel | Stop-Kernel -Confirm:$false
    Start-Sleep -Milliseconds 500
    if (Get-Process -Id $kernelPid -ErrorAction SilentlyContinue) { "process $kernelPid is still there" }
}
Check 'Sync-KernelSession reconciles the store' {
    $null = Sync-KernelSession
    $left = @(Get-Kernel | Where-Object { $_.State -notin 'Dead' })
    if ($left) { "still listed: $($left.Id -join ', ')" }
}
if ($script:failed) { exit 1 }
