async (pkg, js, wasm) => {
	const client = await import(`${pkg}/${js}`);
	await client.default({ module_or_path: `${pkg}/${wasm}` });
	client.hydrate();
	for (const island of document.querySelectorAll('leptos-island')) {
		const hydrate = client[island.dataset.component];
		if (hydrate) {
			hydrate(island);
		} else {
			console.error(`the client has no island ${island.dataset.component}`);
		}
	}
}
