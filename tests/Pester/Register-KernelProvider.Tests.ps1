# Pester tests of Register-KernelProvider, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Register-KernelProvider.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment -Root $TestDrive
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
}
