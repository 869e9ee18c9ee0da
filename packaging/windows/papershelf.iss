; Inno Setup 6 script: the Windows installer for Papershelf.
;
; Wraps the onedir bundle that packaging/papershelf.spec builds into
; dist\papershelf\ (papershelf.exe, the windowed app; papershelf-cli.exe, its
; console twin for the command line and `--smoke-test`; _internal\).
;
;   pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\papershelf.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\papershelf.iss
;
; Output: dist\papershelf-VERSION-windows-x64-setup.exe
;
; Installs into Program Files ({autopf}; per-user into %LOCALAPPDATA%\Programs
; when the user picks "only for me" or has no admin rights), adds Start-menu
; entries, and registers an uninstaller (Settings > Apps, and the Start-menu
; folder). It registers no file types unless the user ticks the optional task.
;
; Signing: with a code-signing certificate, add a SignTool (see the Inno Setup
; help, [Setup] SignTool) and sign dist\papershelf\*.exe before compiling, e.g.
;   signtool sign /fd sha256 /tr http://timestamp.example /td sha256 /f %PAPERSHELF_WINDOWS_CERT% ...

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\papershelf.iss
#endif
#define AppName "Papershelf"
#define AppExe "papershelf.exe"
#define BundleDir "..\..\dist\papershelf"

[Setup]
; Never change AppId: it is how upgrades and the uninstaller find an existing installation.
AppId={{6F1B7C52-3E8A-4D19-9C0B-8A2E5D4F7A31}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Papershelf developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SourceDir={#BundleDir}
OutputDir=..\..\dist
OutputBaseFilename=papershelf-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\papershelf.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
CloseApplications=yes
ChangesAssociations=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
; Off unless the user asks: offer Papershelf in "Open with" for BibTeX files. It does not take over .bib files.
Name: "bibopenwith"; Description: "Offer Papershelf in ""Open with"" for BibTeX files (.bib)"; GroupDescription: "File types:"; Flags: unchecked

[Files]
; The whole PyInstaller bundle, as built. Old files of an earlier version are removed first ([InstallDelete]).
Source: "*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; A new version may drop libraries or plugins: do not leave the old ones next to the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Triage, tag, annotate and cite research papers"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; Only with the "bibopenwith" task. The ProgID holds the command; .bib only lists it under OpenWithProgids, so the
; user's default program for .bib files stays what it was. Removed on uninstall.
Root: HKA; Subkey: "Software\Classes\Papershelf.bib"; ValueType: string; ValueName: ""; ValueData: "BibTeX database"; Flags: uninsdeletekey; Tasks: bibopenwith
Root: HKA; Subkey: "Software\Classes\Papershelf.bib\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"; Tasks: bibopenwith
Root: HKA; Subkey: "Software\Classes\Papershelf.bib\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: bibopenwith
Root: HKA; Subkey: "Software\Classes\.bib\OpenWithProgids"; ValueType: none; ValueName: "Papershelf.bib"; Flags: uninsdeletevalue; Tasks: bibopenwith

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python may leave bytecode caches next to the migration scripts it reads from disk.
Type: filesandordirs; Name: "{app}\_internal\papershelf\core\migrations\__pycache__"
Type: filesandordirs; Name: "{app}\_internal\papershelf\core\migrations\versions\__pycache__"
