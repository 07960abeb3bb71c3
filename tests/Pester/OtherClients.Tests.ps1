# Pester tests of the rule for other clients' work and other machines (docs/sharing.md), against the BUILT module, a
# real jupyter-server, a JupyterLab-like second client (tests/Unit/Scenarios/MultiClient/peers/second_client.py: its own
# WebSocket) and a second store in another pwsh process ("another machine").
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/OtherClients.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
    $script:server = Start-TestJupyterServer
    $script:tokenVariable = 'JK_PESTER_OTHER_' + [guid]::NewGuid().ToString('N').Substring(0, 6).ToUpperInvariant()
    [Environment]::SetEnvironmentVariable($script:tokenVariable, $script:server.Token)
    Register-KernelProvider -Name srv -Url $script:server.Url -TokenEnvironmentVariable $script:tokenVariable
    $script:labClient = Join-Path (Get-TestRepoRoot) 'tests' 'Unit' 'Scenarios' 'MultiClient' 'peers' 'second_client.py'

    # A JupyterLab user running a cell: returns the process once its cell is busy on the kernel.
    function Start-LabCell([string] $KernelId, [string] $Code) {
        $psi = [System.Diagnostics.ProcessStartInfo]::new((Get-TestPython))
        foreach ($a in $script:labClient, $script:server.Url, $script:server.Token, $KernelId, 'exec', $Code) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $null = $psi.Environment.Remove('PYTHONPATH')
        $process = [System.Diagnostics.Process]::Start($psi)
        $line = $process.StandardOutput.ReadLineAsync()
        if (-not $line.Wait(60000) -or $line.Result -notmatch '"started"') { throw "the Lab-like client did not start its cell: $($line.Result)" }
        $process
    }
}

AfterAll {
    Clear-TestEnvironment
    [Environment]::SetEnvironmentVariable($script:tokenVariable, $null)
}

Describe 'Stop-Kernel and Restart-Kernel beside a JupyterLab user' -Tag 'CI' {
    It 'shows the server''s Busy, refuses with KernelBusy naming what the server said, and -Force stops' {
        $kernel = Start-Kernel -Name srv/python3
        $kernel.Id | Should -Be $kernel.RemoteId
        $lab = Start-LabCell -KernelId $kernel.RemoteId -Code 'import time; time.sleep(12); print("lab-done")'
        try {
            (Get-Kernel -Id $kernel.Id).State | Should -Be 'Busy'
            $kernel | Stop-Kernel -Confirm:$false -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused.Count | Should -Be 1
            $refused[0].FullyQualifiedErrorId | Should -Be 'KernelBusy,JupyterKernels.Cmdlets.StopKernelCommand'
            $refused[0].Exception.Message | Should -Match 'execution_state busy'
            $kernel | Restart-Kernel -Confirm:$false -ErrorVariable refusedRestart -ErrorAction SilentlyContinue
            $refusedRestart[0].FullyQualifiedErrorId | Should -Be 'KernelBusy,JupyterKernels.Cmdlets.RestartKernelCommand'
            Get-Kernel -Id $kernel.Id | Should -Not -BeNullOrEmpty

            $kernel | Stop-Kernel -Force -Confirm:$false
            Get-Kernel | Where-Object Id -EQ $kernel.Id | Should -BeNullOrEmpty
        }
        finally { if (-not $lab.HasExited) { $lab.Kill() } }
    }
}

Describe 'Two machines, one server' -Tag 'CI' {
    It 'New-KernelSession -Name on a second store reaches the same kernel, under the same id' {
        $a = New-KernelSession -Name etl -KernelName srv/python3
        $null = Get-Kernel -Id $a.KernelId | Invoke-KernelCode 'shared = 41 + 1'
        $otherDb = Join-Path (Get-TestRoot) 'machine-b.db'
        $otherConfig = Join-Path (Get-TestRoot) 'machine-b-config'
        $null = New-Item -ItemType Directory -Force -Path $otherConfig
        $b = Invoke-TestPwsh -NoImport -Script @"
`$env:JUPYTERKERNELS_DB = '$otherDb'
`$env:JUPYTER_CONFIG_DIR = '$otherConfig'
Import-Module '$(Join-Path (Get-TestRepoRoot) 'out' 'JupyterKernels' 'JupyterKernels.psd1')' -ErrorAction Stop
Register-KernelProvider -Name srv -Url '$($script:server.Url)' -TokenEnvironmentVariable $($script:tokenVariable)
`$s = New-KernelSession -Name etl -KernelName srv/python3
'KERNEL=' + `$s.KernelId
Get-Kernel -Id `$s.KernelId | Invoke-KernelCode 'print(shared)'
"@
        $b.ErrorText | Should -BeNullOrEmpty
        $b.Output | Should -Contain "KERNEL=$($a.KernelId)"
        $b.Output | Should -Contain '42'
    }

    It 'accepts the server''s kernel id where an id is accepted' {
        $kernel = Start-Kernel -Name srv/python3
        (Get-Kernel -Id $kernel.RemoteId).Id | Should -Be $kernel.Id
        (Invoke-KernelCode -Id $kernel.RemoteId 'print(7*6)') | Should -Match '42'
        Stop-Kernel -Id $kernel.RemoteId -Confirm:$false
    }
}

Describe 'Providers that fail, and records they leave' -Tag 'CI' {
    BeforeAll { Register-KernelProvider -Name down -Url "http://127.0.0.1:$(Get-FreeTcpPort)/" -Token (ConvertTo-SecureString 'not-the-token-xyz' -AsPlainText -Force) -WarningAction SilentlyContinue }
    AfterAll { Unregister-KernelProvider -Name down -Confirm:$false -ErrorAction SilentlyContinue }

    It 'Get-KernelSpec -Provider down is a ProviderUnreachable error; all providers give a warning with that id' {
        { Get-KernelSpec -Provider down } | Should -Throw -ErrorId 'ProviderUnreachable,JupyterKernels.Cmdlets.GetKernelSpecCommand'
        $specs = Get-KernelSpec -Refresh -WarningVariable warned -WarningAction SilentlyContinue
        $specs.Name | Should -Contain 'python3'
        ($warned | Where-Object Message -Match "'down'").FullyQualifiedWarningId | Should -Be 'ProviderUnreachable,JupyterKernels.Cmdlets.GetKernelSpecCommand'
    }

    It 'Sync-KernelSession -RemoveDead removes the record of an unregistered provider, -WhatIf only says so' {
        Register-KernelProvider -Name srv2 -Url $script:server.Url -TokenEnvironmentVariable $script:tokenVariable
        $kernel = Start-Kernel -Name srv2/python3
        Unregister-KernelProvider -Name srv2 -Confirm:$false
        # Provider 'down' of the block above fails its part of the sync (an error of its own); srv2's record is what counts.
        $whatIf = Sync-KernelSession -RemoveDead -WhatIf -ErrorAction SilentlyContinue | Where-Object KernelId -EQ $kernel.Id
        $whatIf.Action | Should -Be 'Removed'
        $whatIf.WhatIf | Should -BeTrue
        Get-Kernel -Id $kernel.Id | Should -Not -BeNullOrEmpty
        (Sync-KernelSession -RemoveDead -Confirm:$false -ErrorAction SilentlyContinue | Where-Object KernelId -EQ $kernel.Id).Action | Should -Be 'Removed'
        Get-Kernel | Where-Object Id -EQ $kernel.Id | Should -BeNullOrEmpty
    }
}

Describe 'Warnings carry stable ids' -Tag 'CI' {
    It 'Register-KernelProvider -Token warns with ProviderTokenNotSaved' {
        Register-KernelProvider -Name tokenonly -Url 'http://127.0.0.1:9/' -Token (ConvertTo-SecureString secret -AsPlainText -Force) -WarningVariable w -WarningAction SilentlyContinue
        try { $w[0].FullyQualifiedWarningId | Should -Be 'ProviderTokenNotSaved,JupyterKernels.Cmdlets.RegisterKernelProviderCommand' }
        finally { Unregister-KernelProvider -Name tokenonly -Confirm:$false }
    }
}
