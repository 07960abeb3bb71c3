# Every documented ErrorId a user can provoke, with its category, TargetObject and message; -ErrorAction Stop in
# try/catch, $? and the exit code of 'pwsh -NonInteractive -File'. Against real ipykernel, the test kernel and a real
# jupyter-server, in isolated dirs.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -WithTestKernel

    function New-TestSpec([string] $Name, [string[]] $Argv) {
        $dir = Join-Path $env:JUPYTER_DATA_DIR 'kernels' $Name
        $null = New-Item -ItemType Directory -Force -Path $dir
        @{ argv = $Argv; display_name = $Name; language = 'python' } | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $dir 'kernel.json')
    }
    New-TestSpec 'no-program' @('/nonexistent/bin/kernel', '-f', '{connection_file}')
    New-TestSpec 'exits-at-once' @((Get-TestPython), '-c', 'import sys; sys.exit(3)', '{connection_file}')
    New-TestSpec 'never-ready' @((Get-TestPython), '-c', 'import time; time.sleep(120)', '{connection_file}')
    $broken = Join-Path $env:JUPYTER_DATA_DIR 'kernels' 'broken-json'
    $null = New-Item -ItemType Directory -Force -Path $broken
    Set-Content -LiteralPath (Join-Path $broken 'kernel.json') -Value '{ not json'

    # The ErrorRecord a command throws with -ErrorAction Stop (the first error it writes).
    function Get-ThrownError([scriptblock] $Command) {
        try { $null = & $Command; $null } catch { $_ }
    }

    $script:python = Start-Kernel -Name python3
    $script:testKernel = Start-Kernel -Name jk-testkernel
}

AfterAll { Clear-TestEnvironment }

Describe 'Errors a user can provoke' -Tag 'CI', 'Errors' {
    It '<Id> from <Command>' -ForEach @(
        @{ Id = 'KernelSpecNotFound'; Command = 'Start-Kernel'; Category = 'ObjectNotFound'; Target = 'nope'; Message = "No kernelspec named 'nope'"
            Run = { Start-Kernel -Name nope -ErrorAction Stop } }
        @{ Id = 'KernelSpecNotFound'; Command = 'Get-KernelSpec'; Category = 'ObjectNotFound'; Target = 'nope'; Message = "No kernelspec named 'nope'"
            Run = { Get-KernelSpec -Name nope -ErrorAction Stop } }
        @{ Id = 'KernelSpecInvalid'; Command = 'Start-Kernel'; Category = 'InvalidData'; Target = '*broken-json*kernel.json'; Message = 'not valid JSON'
            Run = { Start-Kernel -Name broken-json -ErrorAction Stop } }
        @{ Id = 'KernelLaunchFailed'; Command = 'Start-Kernel'; Category = 'ObjectNotFound'; Target = 'no-program'; Message = "program '/nonexistent/bin/kernel' was not found"
            Run = { Start-Kernel -Name no-program -ErrorAction Stop } }
        @{ Id = 'KernelExitedDuringStart'; Command = 'Start-Kernel'; Category = 'InvalidOperation'; Target = '????????-????-????-????-????????????'; Message = "Kernel 'exits-at-once' exited during start"
            Run = { Start-Kernel -Name exits-at-once -ErrorAction Stop } }
        @{ Id = 'KernelStartTimeout'; Command = 'Start-Kernel'; Category = 'OperationTimeout'; Target = '????????-????-????-????-????????????'; Message = 'did not become ready within 3 s'
            Run = { Start-Kernel -Name never-ready -Timeout 3 -ErrorAction Stop } }
        @{ Id = 'KernelNotFound'; Command = 'Get-Kernel'; Category = 'ObjectNotFound'; Target = '00000000-0000-0000-0000-000000000001'; Message = "No kernel with id '00000000-0000-0000-0000-000000000001'"
            Run = { Get-Kernel -Id '00000000-0000-0000-0000-000000000001' -ErrorAction Stop } }
        @{ Id = 'KernelNotFound'; Command = 'Restart-Kernel'; Category = 'ObjectNotFound'; Target = '00000000-0000-0000-0000-000000000001'; Message = "No kernel with id"
            Run = { Restart-Kernel -Id '00000000-0000-0000-0000-000000000001' -Confirm:$false -ErrorAction Stop } }
        @{ Id = 'SubShellsNotSupported'; Command = 'New-KernelSubShell'; Category = 'NotImplemented'; Target = 'python-kernel-id'; Message = 'does not support subshells'
            Run = { $script:python | New-KernelSubShell -ErrorAction Stop } }
        @{ Id = 'SubShellNotFound'; Command = 'Remove-KernelSubShell'; Category = 'ObjectNotFound'; Target = '00000000-0000-0000-0000-000000000002'; Message = 'has no subshell 00000000-0000-0000-0000-000000000002'
            Run = { Remove-KernelSubShell -Id $script:testKernel.Id -SubShellId '00000000-0000-0000-0000-000000000002' -Confirm:$false -ErrorAction Stop } }
        @{ Id = 'ProviderNotFound'; Command = 'Unregister-KernelProvider'; Category = 'ObjectNotFound'; Target = 'nope'; Message = "No provider named 'nope'"
            Run = { Unregister-KernelProvider -Name nope -Confirm:$false -ErrorAction Stop } }
        @{ Id = 'ProviderNotFound'; Command = 'Sync-KernelSession'; Category = 'ObjectNotFound'; Target = 'nope'; Message = "No provider named 'nope' is registered, and no kernel record names it"
            Run = { Sync-KernelSession -Provider nope -ErrorAction Stop } }
        @{ Id = 'ProviderInvalid'; Command = 'Register-KernelProvider'; Category = 'InvalidArgument'; Target = 'bad'; Message = "'not a url' is not a valid provider URL"
            Run = { Register-KernelProvider -Name bad -Url 'not a url' -ErrorAction Stop } }
        @{ Id = 'SessionNotFound'; Command = 'Remove-KernelSession'; Category = 'ObjectNotFound'; Target = 'nope'; Message = "No session named 'nope'"
            Run = { Remove-KernelSession -Name nope -Confirm:$false -ErrorAction Stop } }
        @{ Id = 'SessionNotFound'; Command = 'Get-KernelSession'; Category = 'ObjectNotFound'; Target = 'nope'; Message = "No session named 'nope'"
            Run = { Get-KernelSession -Name nope -ErrorAction Stop } }
    ) {
        $record = Get-ThrownError $Run
        $record | Should -Not -BeNullOrEmpty -Because "$Command must fail with $Id"
        $record.FullyQualifiedErrorId | Should -Be "$Id,JupyterKernels.Cmdlets.$($Command -replace '-', '')Command"
        $record.CategoryInfo.Category | Should -Be $Category
        $expectedTarget = if ($Target -eq 'python-kernel-id') { $script:python.Id } else { $Target }
        "$($record.TargetObject)" | Should -BeLike $expectedTarget
        $record.Exception.Message | Should -BeLike "*$Message*"
        $record.Exception | Should -BeOfType ([JupyterKernels.KernelException])
        $record.Exception.ErrorId | Should -Be $Id
    }

    It 'ProviderExists when a provider name is registered twice' {
        Register-KernelProvider -Name twice -Url 'http://127.0.0.1:9/'
        $record = Get-ThrownError { Register-KernelProvider -Name twice -Url 'http://127.0.0.1:9/' -ErrorAction Stop }
        $record.FullyQualifiedErrorId | Should -Be 'ProviderExists,JupyterKernels.Cmdlets.RegisterKernelProviderCommand'
        $record.CategoryInfo.Category | Should -Be 'ResourceExists'
        $record.TargetObject | Should -Be 'twice'
        $record.Exception.Message | Should -Match '-Force'
        Unregister-KernelProvider -Name twice -Confirm:$false
    }

    It 'ProviderUnreachable when the provider does not answer' {
        Register-KernelProvider -Name closed-port -Url 'http://127.0.0.1:9/'
        try {
            $record = Get-ThrownError { Start-Kernel -Name closed-port/python3 -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -Be 'ProviderUnreachable,JupyterKernels.Cmdlets.StartKernelCommand'
            $record.CategoryInfo.Category | Should -Be 'ConnectionError'
            $record.TargetObject | Should -Be 'closed-port'
            $record.Exception.Message | Should -Match 'connection refused'
        } finally { Unregister-KernelProvider -Name closed-port -Confirm:$false }
    }

    It 'ProviderAuthenticationFailed when the token is wrong (real jupyter-server)' {
        $server = Start-TestJupyterServer
        Register-KernelProvider -Name wrong-token -Url $server.Url -Token (ConvertTo-SecureString 'not-the-token' -AsPlainText -Force)
        try {
            # Listing only warns about a failing provider (local results still come); starting on it fails.
            $record = Get-ThrownError { Start-Kernel -Name 'wrong-token/python3' -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -Be 'ProviderAuthenticationFailed,JupyterKernels.Cmdlets.StartKernelCommand'
            $record.CategoryInfo.Category | Should -Be 'AuthenticationError'
            $record.TargetObject | Should -Be 'wrong-token'
            $record.Exception.Message | Should -Not -Match 'not-the-token'
        } finally { Unregister-KernelProvider -Name wrong-token -Confirm:$false }
    }

    It 'SyncProviderFailed names the provider, with the other providers still synced' {
        Register-KernelProvider -Name sync-down -Url 'http://127.0.0.1:9/'
        try {
            $results = Sync-KernelSession -ErrorVariable syncErrors -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
            $syncErrors.Count | Should -Be 1
            $syncErrors[0].FullyQualifiedErrorId | Should -Be 'SyncProviderFailed,JupyterKernels.Cmdlets.SyncKernelSessionCommand'
            $syncErrors[0].TargetObject | Should -Be 'sync-down'
            $syncErrors[0].Exception.Message | Should -Match 'sync-down'
            ($results | Where-Object KernelId -EQ $script:python.Id).Action | Should -Be 'Kept'
            # No Failed row with an empty KernelId next to the error.
            $results | Where-Object { -not $_.KernelId } | Should -BeNullOrEmpty
        } finally { Unregister-KernelProvider -Name sync-down -Confirm:$false }
    }

    It 'ExecutionError: category, TargetObject, one-line details' {
        $record = Get-ThrownError { $script:python | Invoke-KernelCode '1/0' -ErrorAction Stop }
        $record.FullyQualifiedErrorId | Should -Be 'ExecutionError,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $record.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $record.ErrorDetails.Message | Should -Be 'ZeroDivisionError: division by zero'
        # TargetObject is the kernel id, as for every error about a kernel.
        $record.TargetObject | Should -Be $script:python.Id
    }

    It 'ExecutionTimeout: one error, the kernel interrupted and still usable' {
        $null = $script:testKernel | Invoke-KernelCode 'sleep 5' -Timeout 1 -ErrorVariable timeoutErrors -ErrorAction SilentlyContinue
        # One error, not KeyboardInterrupt + ExecutionTimeout.
        $timeoutErrors.FullyQualifiedErrorId | Should -Be @('ExecutionTimeout,JupyterKernels.Cmdlets.InvokeKernelCodeCommand')
        $timeoutErrors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $timeoutErrors[0].TargetObject | Should -Be $script:testKernel.Id
        ($script:testKernel | Invoke-KernelCode 'print still here').Text.Trim() | Should -Be 'still here'
    }

    It 'KernelDied when the kernel process exits mid-execution' {
        $dying = Start-Kernel -Name jk-testkernel
        $record = Get-ThrownError { $dying | Invoke-KernelCode 'exit 3' -ErrorAction Stop }
        $record.FullyQualifiedErrorId | Should -Be 'KernelDied,JupyterKernels.Cmdlets.InvokeKernelCodeCommand'
        $record.TargetObject | Should -Be $dying.Id
        $record.Exception.Message | Should -Match 'died'
    }
}

Describe 'Errors in scripts: $?, try/catch, exit codes of pwsh -NonInteractive -File' -Tag 'CI', 'Errors', 'Runbook' {
    It 'a non-terminating error sets $? to false and the script goes on (exit code 0)' {
        $run = Invoke-TestPwsh -Script "Get-Kernel -Id '00000000-0000-0000-0000-000000000001'; `"STATUS `$?`"; 'after'"
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Contain 'STATUS False'
        $run.Output | Should -Contain 'after'
        $run.ErrorText | Should -Match 'No kernel with id'
        $run.ExitCode | Should -Be 0
    }

    It '-ErrorAction Stop ends the script with exit code 1 and the error on stderr' {
        $run = Invoke-TestPwsh -Script "Start-Kernel -Name nope -ErrorAction Stop; 'not reached'"
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Not -Contain 'not reached'
        $run.ErrorText | Should -Match "No kernelspec named 'nope'"
        $run.ExitCode | Should -Be 1
    }

    It 'try/catch sees the ErrorId, and the script picks its own exit code' {
        $run = Invoke-TestPwsh -Script @'
try { Start-Kernel -Name nope -ErrorAction Stop } catch { "CAUGHT $($_.FullyQualifiedErrorId) $($_.Exception.ErrorId)"; exit 3 }
'@
        $run.Output | Should -Contain 'CAUGHT KernelSpecNotFound,JupyterKernels.Cmdlets.StartKernelCommand KernelSpecNotFound'
        $run.ExitCode | Should -Be 3
    }

    It 'an unreadable store fails with StoreInvalid and leaves the file alone' {
        $bad = Join-Path (Get-TestRoot) 'not-a-store.db'
        Set-Content -LiteralPath $bad -Value 'this is not sqlite'
        $run = Invoke-TestPwsh -Script "`$env:JUPYTERKERNELS_DB = '$bad'; try { Get-Kernel -ErrorAction Stop } catch { `"CAUGHT `$(`$_.Exception.ErrorId) `$(`$_.CategoryInfo.Category)`"; exit 4 }"
        $run.Output | Should -Contain 'CAUGHT StoreInvalid InvalidData'
        $run.ExitCode | Should -Be 4
        Get-Content -LiteralPath $bad | Should -Be 'this is not sqlite'
    }
}
