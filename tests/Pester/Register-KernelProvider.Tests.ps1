# Pester tests of Register-KernelProvider, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Register-KernelProvider.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Register-KernelProvider' -Tag 'CI' {
    It 'never echoes a token' {
        $token = ConvertTo-SecureString 'super-secret-token' -AsPlainText -Force
        $info = Register-KernelProvider -Name 'pester-remote' -Url 'http://127.0.0.1:9/' -Token $token -PassThru -Verbose 4>&1
        ($info | Out-String) | Should -Not -Match 'super-secret-token'
        (Get-KernelProvider -Name 'pester-remote' | Format-List * | Out-String) | Should -Not -Match 'super-secret-token'
        Unregister-KernelProvider -Name 'pester-remote' -Confirm:$false
    }

    # No header value is saved, whatever the header's name.
    It 'never saves a header value, says so at registration, and persists -HeaderEnvironmentVariable by name' {
        $warnings = @()
        Register-KernelProvider -Name 'hdr' -Url 'http://127.0.0.1:9/' -Header @{ 'X-Auth' = 'XAUTH-SECRET' } `
            -HeaderEnvironmentVariable @{ 'X-Tenant' = 'JK_PESTER_TENANT' } -WarningVariable warnings -WarningAction SilentlyContinue
        try {
            $file = Join-Path $env:JUPYTER_CONFIG_DIR 'jupyterkernels_providers.json'
            $text = Get-Content -Raw -LiteralPath $file
            $text | Should -Not -Match 'XAUTH-SECRET'
            $text | Should -Not -Match 'X-Auth'
            $text | Should -Match 'JK_PESTER_TENANT'
            ($warnings -join "`n") | Should -Match 'X-Auth.*this PowerShell process only'
            ($warnings -join "`n") | Should -Not -Match 'XAUTH-SECRET'
            # A second process sees the provider, and the header by its variable name only.
            $other = Invoke-TestPwsh -Script '(Get-KernelProvider -Name hdr).Name; Get-Content -Raw (Join-Path $env:JUPYTER_CONFIG_DIR "jupyterkernels_providers.json")'
            $other.Output[0] | Should -Be 'hdr'
            $other.Text | Should -Not -Match 'XAUTH-SECRET'
        } finally {
            Unregister-KernelProvider -Name 'hdr' -Confirm:$false
        }
    }

    It 'refuses a URL containing NUL with ProviderInvalid and saves nothing' {
        Register-KernelProvider -Name 'nul' -Url "http://127.0.0.1:9/`0x" -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -BeGreaterThan 0
        $err[0].FullyQualifiedErrorId | Should -Match '^ProviderInvalid'
        (Get-KernelProvider).Name | Should -Not -Contain 'nul'
        $file = Join-Path $env:JUPYTER_CONFIG_DIR 'jupyterkernels_providers.json'
        if (Test-Path $file) { Get-Content -Raw -LiteralPath $file | Should -Not -Match '"nul"' }
    }

    It 'refuses a -HeaderEnvironmentVariable that is no environment variable name with ProviderInvalid and saves nothing' {
        Register-KernelProvider -Name 'badvar' -Url 'http://127.0.0.1:9/' -HeaderEnvironmentVariable @{ 'X-Tenant' = 'MY-VAR' } `
            -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ProviderInvalid,JupyterKernels.Cmdlets.RegisterKernelProviderCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].TargetObject | Should -Be 'badvar'
        $err[0].Exception.Message | Should -Match "'MY-VAR' \(for header 'X-Tenant'\) is not an environment variable name"
        (Get-KernelProvider).Name | Should -Not -Contain 'badvar'
    }

    It 'registers a real jupyter-server whose kernelspecs are listed with the provider prefix' {
        $server = Start-TestJupyterServer
        $token = ConvertTo-SecureString $server.Token -AsPlainText -Force
        Register-KernelProvider -Name 'srv' -Url $server.Url -Token $token
        try {
            (Get-KernelSpec).Name | Should -Contain 'srv/python3'
        } finally {
            Unregister-KernelProvider -Name 'srv' -Confirm:$false
        }
    }

    Context 'defects found in use' {
        BeforeAll { $script:server = Start-TestJupyterServer }

        It '-Token warns that it is process-only, and a later process gets an error saying so and how to fix it' {
            $token = ConvertTo-SecureString $script:server.Token -AsPlainText -Force
            Register-KernelProvider -Name 'mem' -Url $script:server.Url -Token $token -WarningVariable warns -WarningAction SilentlyContinue
            try {
                $warns.Count | Should -Be 1
                "$($warns[0])" | Should -Match 'kept in this PowerShell process only'
                "$($warns[0])" | Should -Match '-TokenEnvironmentVariable'
                (Get-KernelSpec -Provider mem).Name | Should -Contain 'mem/python3'
                $r = Invoke-TestPwsh -Script 'try { Start-Kernel -Name mem/python3 -ErrorAction Stop } catch { "id=$($_.FullyQualifiedErrorId)"; "target=$($_.TargetObject)"; "message=$($_.Exception.Message)" }'
                $text = $r.Output -join "`n"
                $text | Should -Match 'id=ProviderAuthenticationFailed,'
                $text | Should -Match 'target=mem'
                $text | Should -Match "Provider 'mem' was registered with -Token"
                $text | Should -Match 'Register-KernelProvider -Name mem .*-TokenEnvironmentVariable'
                $text | Should -Not -Match ([regex]::Escape($script:server.Token))
            }
            finally { Unregister-KernelProvider -Name 'mem' -Confirm:$false }
        }

        It 'an unset -TokenEnvironmentVariable is named at registration and in the error' {
            $var = 'JK_PESTER_UNSET_TOKEN'
            Remove-Item "env:$var" -ErrorAction SilentlyContinue
            Register-KernelProvider -Name 'envless' -Url $script:server.Url -TokenEnvironmentVariable $var -WarningVariable warns -WarningAction SilentlyContinue
            try {
                "$($warns[0])" | Should -Match "'$var'"
                $err = $null
                try { Start-Kernel -Name envless/python3 -ErrorAction Stop } catch { $err = $_ }
                $err.FullyQualifiedErrorId | Should -Be 'ProviderAuthenticationFailed,JupyterKernels.Cmdlets.StartKernelCommand'
                $err.Exception.Message | Should -Match "environment variable '$var'"
            }
            finally { Unregister-KernelProvider -Name 'envless' -Confirm:$false }
        }
    }
}
