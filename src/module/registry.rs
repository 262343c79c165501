//! The module host: one wasmtime engine, the linker that offers the Turnstile
//! interface and nothing else, the epoch ticker, and the loaded modules by name.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use wasmtime::{Config, Engine, Linker, Module};

use super::abi::{add_imports, check_exports, INTERFACE_PREFIX};
use super::budget::{Budgets, EpochTicker, IDLE_TICKS};
use super::host::HostState;
use super::loaded::LoadedModule;
use super::ModuleError;

/// Every loaded module, and what it takes to load more.
pub struct ModuleHost {
    engine: Engine,
    linker: Linker<HostState>,
    budgets: Budgets,
    modules: BTreeMap<String, Arc<LoadedModule>>,
    /// Advances the epoch that time budgets count; stopped when the host drops.
    ticker: EpochTicker,
}

impl fmt::Debug for ModuleHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleHost")
            .field("modules", &self.modules.keys().collect::<Vec<_>>())
            .field("budgets", &self.budgets)
            .finish()
    }
}

impl ModuleHost {
    pub fn new(budgets: Budgets) -> Result<ModuleHost, ModuleError> {
        let setup = |reason: String| ModuleError::Setup {
            module: "(host)".into(),
            reason,
        };
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| setup(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        add_imports(&mut linker).map_err(|e| setup(format!("{e:#}")))?;
        let ticker =
            EpochTicker::start(engine.clone(), IDLE_TICKS).map_err(|e| setup(e.to_string()))?;
        Ok(ModuleHost {
            engine,
            linker,
            budgets,
            modules: BTreeMap::new(),
            ticker,
        })
    }

    /// Compiles `bytes` (the core module wit-bindgen builds from
    /// `modules/wit/turnstile.wit` for wasm32-unknown-unknown), checks that it
    /// imports only the Turnstile interface, and asks it for its description. Its
    /// tables are checked against the catalog separately
    /// ([`LoadedModule::check_catalog`]), after its schema has been applied.
    pub fn load(&mut self, name: &str, bytes: &[u8]) -> Result<Arc<LoadedModule>, ModuleError> {
        if self.modules.contains_key(name) {
            return Err(ModuleError::Setup {
                module: name.into(),
                reason: "another module of that name is loaded (modules are named after \
                         their file; rename one)"
                    .into(),
            });
        }
        let invalid = |reason: String| ModuleError::Invalid {
            module: name.into(),
            reason,
        };
        if wasmparser::Parser::is_component(bytes) {
            return Err(invalid(
                "it is a component; Turnstile loads the core module that wit-bindgen builds \
                 for wasm32-unknown-unknown (see modules/wit/turnstile.wit)"
                    .into(),
            ));
        }
        if !wasmparser::Parser::is_core_wasm(bytes) {
            return Err(invalid("not a WebAssembly binary".into()));
        }
        check_core_imports(name, bytes)?;
        let module = Module::new(&self.engine, bytes).map_err(|e| invalid(format!("{e:#}")))?;
        check_exports(&module).map_err(invalid)?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| invalid(format!("{e:#}")))?;
        let module = Arc::new(LoadedModule::new(
            name,
            &self.engine,
            pre,
            self.budgets,
            self.ticker.handle(),
        )?);
        self.modules.insert(name.into(), module.clone());
        Ok(module)
    }

    /// The loaded module called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<LoadedModule>> {
        self.modules.get(name)
    }

    /// Every loaded module, by name.
    pub fn modules(&self) -> impl Iterator<Item = &Arc<LoadedModule>> + '_ {
        self.modules.values()
    }

    pub fn budgets(&self) -> Budgets {
        self.budgets
    }
}

/// Refuses a core module that imports anything but the Turnstile interfaces (as
/// wit-bindgen names them: `turnstile:module/tables@0.1.0`, …), naming the first
/// import that is not.
fn check_core_imports(name: &str, bytes: &[u8]) -> Result<(), ModuleError> {
    let invalid = |reason: String| ModuleError::Invalid {
        module: name.into(),
        reason,
    };
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let wasmparser::Payload::ImportSection(section) =
            payload.map_err(|e| invalid(e.to_string()))?
        else {
            continue;
        };
        for import in section.into_imports() {
            let import = import.map_err(|e| invalid(e.to_string()))?;
            if !import.module.starts_with(INTERFACE_PREFIX) {
                return Err(ModuleError::ForbiddenImport {
                    module: name.into(),
                    import: format!("{}::{}", import.module, import.name),
                });
            }
        }
    }
    Ok(())
}
