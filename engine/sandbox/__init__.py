"""The script sandbox: designer code is checked statically and run in a limited worker process."""
from engine.sandbox.environment import SandboxEnvironment
from engine.sandbox.errors import ScriptError
from engine.sandbox.policy import Violation, check_script
from engine.sandbox.runner import Sandbox

__all__ = ["Sandbox", "SandboxEnvironment", "ScriptError", "Violation", "check_script"]
