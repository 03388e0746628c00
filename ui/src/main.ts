document.getElementById('app')!.textContent = 'Astrolabe';
