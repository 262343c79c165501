//! The module host: one wasmtime engine, the linker that offers the Turnstile
//! interface and nothing else, the epoch ticker, and the loaded modules by name.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

use super::bindings::TurnstileModule;
use super::budget::{Budgets, EpochTicker, IDLE_TICKS};
use super::host::HostState;
use super::loaded::LoadedModule;
use super::ModuleError;

/// The prefix of every import a module may have: the interfaces of
/// `modules/wit/turnstile.wit`.
const INTERFACE_PREFIX: &str = "turnstile:module/";

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
        TurnstileModule::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(|e| setup(format!("{e:#}")))?;
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

    /// Compiles `bytes` (a component, or a core module built with wit-bindgen,
    /// which is made a component here), checks that it imports only the Turnstile
    /// interface, and asks it for its description. Its tables are checked against
    /// the catalog separately ([`LoadedModule::check_catalog`]), after its schema
    /// has been applied.
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
        let component_bytes = if wasmparser::Parser::is_core_wasm(bytes) {
            check_core_imports(name, bytes)?;
            wit_component::ComponentEncoder::default()
                .module(bytes)
                .and_then(|encoder| encoder.validate(true).encode())
                .map_err(|e| invalid(format!("{e:#}")))?
        } else if wasmparser::Parser::is_component(bytes) {
            bytes.to_vec()
        } else {
            return Err(invalid("not a WebAssembly binary".into()));
        };
        let component = Component::new(&self.engine, &component_bytes)
            .map_err(|e| invalid(format!("{e:#}")))?;
        for (import, _) in component.component_type().imports(&self.engine) {
            if !import.starts_with(INTERFACE_PREFIX) {
                return Err(ModuleError::ForbiddenImport {
                    module: name.into(),
                    import: import.into(),
                });
            }
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
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
