"""Drawing the simulated store: clip frames per overhead camera and catalogue images."""
